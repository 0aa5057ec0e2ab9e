// The node templates a workflow is typed with when its loader is given none: InvokeAI's own, offline.
// The package's `browser` field swaps this module for no-default-templates.ts in browser bundles, so
// that a browser app ships the offline templates only when it imports them (`invokeai-rx/templates`).
import { templates } from './offline-templates';
import type { NodeTemplates } from './types';

/** What `LoadOptions.templates` defaults to: the offline templates here, nothing in a browser bundle. */
export const defaultTemplates: NodeTemplates | undefined = templates;
