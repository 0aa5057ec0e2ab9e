// @ts-check
// A typedoc plugin: the API reference groups each entry's exports as the entry file groups them.
// An entry file puts its exports under `// --- Title ---` lines; each name exported below such a
// line gets that title as its `@category`, and the categories keep the entry's order. The grouping
// is thus written once, in the entry, for names declared anywhere in lib/.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Application, Comment, CommentTag, Converter, ReflectionKind } from 'typedoc';

/**
 * The sections of an entry file: each title with the names exported under it, in file order.
 * @param {string} text
 * @returns {Array<{ title: string, names: string[] }>}
 */
export const sectionsOf = (text) => {
  /** @type {Array<{ title: string, names: string[] }>} */
  const sections = [];
  for (const match of text.matchAll(/^\/\/ --- (.+?) -+\s*$|^export (?:type )?\{([^}]*)\}/gm)) {
    if (match[1] !== undefined) sections.push({ title: match[1].trim(), names: [] });
    else if (sections.length > 0) {
      const names = (match[2] ?? '').split(',').map((n) => n.trim().replace(/^type\s+/, '')).filter((n) => n !== '');
      sections[sections.length - 1].names.push(...names.map((n) => n.split(/\s+as\s+/).pop() ?? n));
    }
  }
  return sections;
};

/** @param {Application} app */
export const load = (app) => {
  /** @type {Map<string, Map<string, string>>} entry module name → export name → title */
  const byModule = new Map();
  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    const entries = /** @type {string[]} */ (app.options.getValue('entryPoints')).map((e) => path.resolve(e));
    const base = path.dirname(entries.reduce((a, b) => (a.length <= b.length ? a : b)));
    const order = [];
    for (const entry of entries) {
      // typedoc names a module after its path below the entries' common folder, `/index` dropped.
      const name = path.relative(base, entry).replace(/\.ts$/, '').replace(/\/index$/, '');
      const titles = new Map();
      for (const section of sectionsOf(readFileSync(entry, 'utf8'))) {
        order.push(section.title);
        for (const exported of section.names) titles.set(exported, section.title);
      }
      byModule.set(name, titles);
    }
    app.options.setValue('categoryOrder', [...new Set(order), '*']);
  });
  // Before the category plugin sorts the reflections into categories (it runs last, at -200).
  app.converter.on(
    Converter.EVENT_RESOLVE_END,
    (context) => {
      for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
        const titles = byModule.get(module.name);
        for (const child of module.children ?? []) {
          const title = titles?.get(child.name);
          if (title === undefined) continue;
          child.comment ??= new Comment();
          child.comment.blockTags = child.comment.blockTags.filter((tag) => tag.tag !== '@category');
          child.comment.blockTags.push(new CommentTag('@category', [{ kind: 'text', text: title }]));
        }
      }
    },
    100,
  );
};
