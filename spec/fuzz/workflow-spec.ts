// Fuzzing workflow files at the text level (spec/workflow/workflow-spec.ts mutates parsed objects):
// truncated, spliced and garbled workflow JSON gives a Workflow or a WorkflowDecodeError, never
// another exception, and `Workflow.fromJson` throws nothing else.
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import * as E from 'fp-ts/Either';
import { Workflow } from '../../lib/workflow/workflow';
import { WorkflowDecodeError } from '../../lib/workflow/errors';
import { listInputs } from '../../lib/workflow/inputs';

const DIRS = ['default-workflows', 'seed-workflows', 'workflows-legacy'].map((d) => path.join(__dirname, '..', 'fixtures', d));
const texts = DIRS.flatMap((dir) => fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => fs.readFileSync(path.join(dir, f), 'utf8')));

/** A fixture text with a few character-level edits. */
const garbled: fc.Arbitrary<string> = fc
  .tuple(
    fc.nat(texts.length - 1),
    fc.array(fc.tuple(fc.constantFrom('insert', 'delete', 'replace', 'truncate', 'splice'), fc.nat(), fc.string({ minLength: 1, maxLength: 4 }), fc.nat(texts.length - 1)), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([base, edits]) =>
    edits.reduce((text, [op, at, chars, other]) => {
      const i = text.length === 0 ? 0 : at % text.length;
      switch (op) {
        case 'insert':
          return text.slice(0, i) + chars + text.slice(i);
        case 'delete':
          return text.slice(0, i) + text.slice(i + chars.length);
        case 'replace':
          return text.slice(0, i) + chars + text.slice(i + chars.length);
        case 'truncate':
          return text.slice(0, i);
        default: {
          // The head of one file on the tail of another: still often JSON, rarely a workflow.
          const tail = texts[other];
          return text.slice(0, i) + tail.slice(tail.length === 0 ? 0 : at % tail.length);
        }
      }
    }, texts[base]),
  );

describe('workflow text under fuzzing', () => {
  it('has fixtures to garble, and they all load', () => {
    expect(texts.length).toBeGreaterThan(25);
    for (const t of texts) expect(E.isRight(Workflow.decodeJson(t))).toBe(true);
  });

  it('Workflow.decodeJson gives a Workflow or a WorkflowDecodeError with issues', () => {
    fc.assert(
      fc.property(garbled, (text) => {
        const r = Workflow.decodeJson(text);
        if (E.isLeft(r)) {
          if (!(r.left instanceof WorkflowDecodeError)) throw new Error(`not a WorkflowDecodeError: ${String(r.left)}`);
          if (r.left.issues.length === 0) throw new Error('a decode error without issues');
        } else {
          // What decodes is usable.
          listInputs(r.right);
          Workflow.toJson(r.right);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('Workflow.fromJson throws only WorkflowDecodeError', () => {
    fc.assert(
      fc.property(fc.oneof(garbled, fc.string({ maxLength: 50 }), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => {
        try {
          Workflow.fromJson(text);
        } catch (error) {
          if (!(error instanceof WorkflowDecodeError)) throw new Error(`threw ${String(error)}`);
          if (error.name !== 'WorkflowDecodeError') throw new Error(`unstable name ${error.name}`);
        }
      }),
      { numRuns: 800 },
    );
  });
});
