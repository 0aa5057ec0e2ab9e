// invokeai-rx/templates: InvokeAI's own node templates, offline. In Node they are already what every
// workflow loader defaults to; a browser app imports them here, and ships them, only when it wants
// workflows typed without asking a server.
export { templates } from '../workflow/offline-templates';
