// Every reference a comment makes resolves inside the repository: no document that is not here
// (design notes, an issue tracker), and every `docs/<page>.md` cited exists, with the section named
// after it ("docs/server-contract.md, Quirks").
import { promises as fs } from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');

/** References to documents that are not part of the repository. */
const OUTSIDE = /\b(API\.md|PUBLIC-API(\.md)?|PEERS\.md|STYLE\.md|NOTES(\.md)? §|[Ii]ssue \d+\b|\.\.\/shared\/)/;

/**
 * Files whose comments still cite documents outside the repository, each with how many lines do.
 * A file is taken off this list as soon as its references are mended (the test then says so).
 */
const NOT_YET_MENDED: Readonly<Record<string, number>> = {};

const sourcesUnder = async (dir: string): Promise<string[]> => {
  const entries = await fs.readdir(path.join(ROOT, dir), { withFileTypes: true });
  const nested = await Promise.all(
    entries.map(async (e) => {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === 'fixtures' || e.name === 'generated' || e.name === 'data' || e.name === 'dist' || e.name.startsWith('.') ? [] : sourcesUnder(rel);
      return /\.(ts|js)$/.test(e.name) ? [rel] : [];
    }),
  );
  return nested.flat();
};

/** The `##` and `###` headings of a Markdown text. */
const headingsOf = (markdown: string): Set<string> =>
  new Set(markdown.split('\n').flatMap((line) => (/^#{2,3} /.test(line) ? [line.replace(/^#+ /, '').trim()] : [])));

describe('comment references', () => {
  let files: Map<string, string>;
  beforeAll(async () => {
    const names = (await Promise.all(['lib', 'spec', 'demos'].map(sourcesUnder))).flat();
    files = new Map(await Promise.all(names.map(async (f) => [f, await fs.readFile(path.join(ROOT, f), 'utf8')] as const)));
  });

  it('cite no document outside the repository', () => {
    expect(files.size).toBeGreaterThan(200);
    const found = new Map<string, string[]>();
    for (const [file, text] of files) {
      if (file === path.join('spec', 'docs', 'references-spec.ts')) continue;
      const lines = text.split('\n').flatMap((line, i) => (OUTSIDE.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : []));
      if (lines.length > 0) found.set(file, lines);
    }
    const unexpected = [...found].filter(([file]) => NOT_YET_MENDED[file] === undefined).flatMap(([, lines]) => lines);
    expect(unexpected).toEqual([]);
    // The list shrinks: a file mended since is to be taken off it, a file that got worse is reported.
    const stale = Object.entries(NOT_YET_MENDED)
      .filter(([file, count]) => (found.get(file)?.length ?? 0) !== count)
      .map(([file, count]) => `${file}: listed with ${count}, has ${found.get(file)?.length ?? 0}`);
    expect(stale).toEqual([]);
  });

  it('name pages of docs/ that exist, and sections those pages have', async () => {
    const cited = [...files].flatMap(([file, text]) =>
      [...text.matchAll(/docs\/([\w-]+\.md)(?:, ([A-Z][\w ,]*?\w))?(?=[)\s.:;]|$)/g)].map((m) => ({ file, page: m[1]!, section: m[2] })),
    );
    expect(cited.length).toBeGreaterThan(5);
    const problems: string[] = [];
    for (const { file, page, section } of cited) {
      const text = await fs.readFile(path.join(ROOT, 'docs', page), 'utf8').catch(() => undefined);
      if (text === undefined) problems.push(`${file} cites docs/${page}, which does not exist`);
      else if (section !== undefined && ![...headingsOf(text)].some((h) => section.startsWith(h) || h.startsWith(section))) problems.push(`${file} cites "${section}" of docs/${page}, which has no such section`);
    }
    expect(problems).toEqual([]);
  });
});
