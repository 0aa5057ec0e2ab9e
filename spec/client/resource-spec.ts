import * as fc from 'fast-check';
import { HttpError } from '../../lib/transport/errors';
import { ModelConfig } from '../../lib/client/models';
import { NotFoundError, ResourceDiagnostic, decodeItems, notFoundAs, nullOn404 } from '../../lib/client/resource';

describe('decodeItems', () => {
  it('for any list: keeps exactly the records that decode, in order, and reports each other one with its index', () => {
    const record = fc.record({ key: fc.string(), name: fc.string(), base: fc.string(), type: fc.string() }, { requiredKeys: ['name'] });
    fc.assert(
      fc.property(fc.array(fc.oneof(record, fc.anything())), (raw) => {
        const reported: ResourceDiagnostic[] = [];
        const kept = decodeItems(ModelConfig, raw, 'GET /api/v2/models/', (d) => reported.push(d));
        const good = raw.filter((item) => ModelConfig.is(item));
        expect(kept).toEqual(good);
        expect(reported.map((d) => d.index)).toEqual(raw.flatMap((item, i) => (ModelConfig.is(item) ? [] : [i])));
        expect(reported.every((d) => d.issues.length > 0 && d.endpoint === 'GET /api/v2/models/')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('404 handling', () => {
  const notFound = new HttpError(404, 'GET', 'http://h/api/v1/boards/x', 'Board not found');
  const failed = new HttpError(500, 'GET', 'http://h/api/v1/boards/x', 'boom');

  it('notFoundAs turns a 404 into NotFoundError (still an HttpError) that names the record; other errors pass', () => {
    const error = (() => {
      try {
        return notFoundAs('board', 'x')(notFound);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ name: 'NotFoundError', status: 404, resource: 'board', id: 'x', detail: 'Board not found' });
    expect((error as Error).message).toContain('no board "x"');
    expect(() => notFoundAs('board', 'x')(failed)).toThrow(failed);
  });

  it('nullOn404 answers null for a 404 only', () => {
    expect(nullOn404(notFound)).toBeNull();
    expect(() => nullOn404(failed)).toThrow(failed);
    expect(() => nullOn404(new Error('other'))).toThrow('other');
  });
});
