// What default-templates.ts becomes in a browser bundle (the package's `browser` field maps one to
// the other): no default, so the offline templates cost an app nothing unless it imports them.
import type { NodeTemplates } from './types';

/** What `LoadOptions.templates` defaults to in a browser bundle: nothing; the loader asks for templates. */
export const defaultTemplates: NodeTemplates | undefined = undefined;
