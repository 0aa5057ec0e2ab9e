// The fenced code blocks of a Markdown file, with what the HTML comment right above each says about
// it (invisible on GitHub and npm). The directives:
//
//   <!-- not run: REASON -->     the block below is not run; REASON says why (required, non-empty)
//   <!-- prints -->              the ```text block below is what the runnable block above prints
//   <!-- setup: a, b, c -->      the block below defines a, b and c for every other block (one per tree)
//
// Any other block is run: ```ts / ```typescript as a TypeScript module, ```sh / ```shell / ```console
// as `invokeai-rx` commands. A block of another language (python, a diagram without a language)
// must say why it is not run.

/** What the comment above a block says. */
export type Directive =
  | { readonly kind: 'none' }
  | { readonly kind: 'not-run'; readonly reason: string }
  | { readonly kind: 'prints' }
  | { readonly kind: 'setup'; readonly names: readonly string[] }
  | { readonly kind: 'unknown'; readonly text: string };

/** One fenced block. */
export interface MarkdownBlock {
  readonly file: string;
  /** The line of its first code line (1-based). */
  readonly line: number;
  /** The fence's language, lower case (`''` when none). */
  readonly lang: string;
  readonly code: string;
  readonly directive: Directive;
}

const parseDirective = (comment: string): Directive => {
  const text = comment.trim();
  const notRun = /^not run:(.*)$/s.exec(text);
  if (notRun) return { kind: 'not-run', reason: notRun[1]!.trim() };
  if (text === 'prints') return { kind: 'prints' };
  const setup = /^setup:(.*)$/s.exec(text);
  if (setup) return { kind: 'setup', names: setup[1]!.split(',').map((n) => n.trim()).filter((n) => n !== '') };
  return { kind: 'unknown', text };
};

/** Every fenced block of a Markdown text, with its language, first line and directive. */
export const codeBlocks = (file: string, markdown: string): MarkdownBlock[] => {
  const blocks: MarkdownBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```\s*([\w-]*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end]!)) end++;
    // The directive is the HTML comment ending on the nearest non-blank line above the fence.
    let above = i - 1;
    while (above >= 0 && lines[above]!.trim() === '') above--;
    let directive: Directive = { kind: 'none' };
    if (above >= 0 && lines[above]!.trim().endsWith('-->')) {
      let first = above;
      while (first > 0 && !lines[first]!.includes('<!--')) first--;
      const comment = lines.slice(first, above + 1).join('\n');
      const m = /<!--([\s\S]*?)-->\s*$/.exec(comment);
      if (m) directive = parseDirective(m[1]!);
    }
    blocks.push({ file, line: start + 1, lang: open[1]!.toLowerCase(), code: lines.slice(start, end).join('\n'), directive });
    i = end;
  }
  return blocks;
};

/** The languages run as TypeScript and as shell commands. */
export const isTypeScript = (b: MarkdownBlock): boolean => b.lang === 'ts' || b.lang === 'typescript';
export const isShell = (b: MarkdownBlock): boolean => b.lang === 'sh' || b.lang === 'shell' || b.lang === 'console' || b.lang === 'bash';

/** The TypeScript blocks (all of them, run or not: every one must compile). */
export const tsBlocks = (file: string, markdown: string): MarkdownBlock[] => codeBlocks(file, markdown).filter(isTypeScript);

/** What the harness does with each block of a file: run it (with the output it must print, if any), or why not. */
export interface Plan {
  readonly run: ReadonlyArray<{ readonly block: MarkdownBlock; readonly prints?: MarkdownBlock }>;
  readonly notRun: ReadonlyArray<{ readonly block: MarkdownBlock; readonly reason: string }>;
  readonly setup: ReadonlyArray<MarkdownBlock>;
  /** Blocks the directives leave unexplained (a python block without a reason, a stray `prints` ...). */
  readonly problems: readonly string[];
}

/** Sorts a file's blocks into run, not run (with the reason) and problems. */
export const planOf = (blocks: readonly MarkdownBlock[]): Plan => {
  const run: Array<{ block: MarkdownBlock; prints?: MarkdownBlock }> = [];
  const notRun: Array<{ block: MarkdownBlock; reason: string }> = [];
  const setup: MarkdownBlock[] = [];
  const problems: string[] = [];
  const where = (b: MarkdownBlock) => `${b.file}:${b.line - 1}`;
  for (const b of blocks) {
    const d = b.directive;
    if (d.kind === 'unknown') problems.push(`${where(b)}: unknown directive <!--${d.text}-->; use <!-- not run: why -->, <!-- prints --> or <!-- setup: names -->`);
    else if (d.kind === 'not-run') {
      if (d.reason === '') problems.push(`${where(b)}: <!-- not run: --> needs a reason`);
      else notRun.push({ block: b, reason: d.reason });
    } else if (d.kind === 'prints') {
      const last = run.at(-1);
      if (last === undefined || last.prints !== undefined) problems.push(`${where(b)}: <!-- prints --> follows no runnable block`);
      else run[run.length - 1] = { ...last, prints: b };
    } else if (isTypeScript(b) || isShell(b)) {
      if (d.kind === 'setup') {
        if (!isTypeScript(b)) problems.push(`${where(b)}: a setup block must be TypeScript`);
        setup.push(b);
      }
      run.push({ block: b });
    } else problems.push(`${where(b)}: a \`\`\`${b.lang || '(no language)'} block is neither run nor explained; add <!-- not run: why --> above it`);
  }
  return { run, notRun, setup, problems };
};

/**
 * Whether `actual` output is what `expected` says: line by line, trailing spaces aside, where `...`
 * within a line stands for any text and a line that is only `...` for any number of lines.
 */
export const outputMatches = (expected: string, actual: string): boolean => {
  const exp = expected.replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());
  const act = actual.replace(/\s+$/, '').split('\n').map((l) => l.trimEnd());
  const lineRe = exp.map((l) => new RegExp(`^${l.split('...').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`));
  const memo = new Map<string, boolean>();
  const match = (i: number, j: number): boolean => {
    const key = `${i},${j}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (i === exp.length) r = j === act.length;
    else if (exp[i] === '...') r = match(i + 1, j) || (j < act.length && match(i, j + 1));
    else r = j < act.length && lineRe[i]!.test(act[j]!) && match(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return match(0, 0);
};
