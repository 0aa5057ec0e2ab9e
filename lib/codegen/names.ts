// The names a generated module gets from its workflow file's name: the file, the exported
// constant and the exported types. Deterministic, ASCII, and never a reserved word.

/** The words of a file name without its extension: `Text to Image - SDXL.json` → text, to, image, sdxl. */
const wordsOf = (fileName: string): readonly string[] => {
  const base = fileName.replace(/\.[^./\\]*$/, '');
  return (
    base
      // Split camelCase words apart before lower-casing them.
      .replace(/([a-z0-9])(?=[A-Z][a-z])/g, '$1 ')
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w !== '')
  );
};

const capitalised = (w: string): string => w[0].toUpperCase() + w.slice(1);

/** `text-to-image-sdxl.ts`: the module's file name (`workflow.ts` when the name has no letters or digits). */
export const moduleFileName = (sourceFile: string): string => `${wordsOf(sourceFile).join('-') || 'workflow'}.ts`;

/** `TextToImageSdxl`: the base of the module's type names (a name starting with a digit gets `Workflow` in front). */
export const typeNameOf = (sourceFile: string): string => {
  const pascal = wordsOf(sourceFile).map(capitalised).join('');
  return pascal === '' ? 'UnnamedWorkflow' : /^[0-9]/.test(pascal) ? `Workflow${pascal}` : pascal;
};

/** `textToImageSdxl`: the name of the exported handle. */
export const valueNameOf = (sourceFile: string): string => {
  const type = typeNameOf(sourceFile);
  // camelCase of a PascalCase name is never a reserved word unless it is one word: suffix those.
  const camel = type[0].toLowerCase() + type.slice(1);
  return RESERVED.has(camel) ? `${camel}Workflow` : camel;
};

const RESERVED: ReadonlySet<string> = new Set(
  (
    'break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with yield let static ' +
    'implements interface package private protected public await arguments eval undefined'
  ).split(' '),
);
