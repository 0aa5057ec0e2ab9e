// The browser demo: the form of InvokeAI's "Text to Image - SDXL" as an HTML form, a run with
// per-node progress, the preview images as they stream, and the final images. Served by the
// simulated server (`startMockServer({ staticDir })`), so the page and the API share one origin.
import { Subscription } from 'rxjs';
import { createClient, listInputs, models, serverTemplates, setInput, Workflow, type RunEvent, type Workflow as WorkflowValue, type WorkflowInput, type ModelConfig } from '../../lib/index';
import workflowJson from '../workflows/Text to Image - SDXL.json';

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};

const baseUrl = new URLSearchParams(location.search).get('server') ?? location.origin;
const client = createClient({ baseUrl });

/** One form control per input, by kind; `read` turns it back into a value for `setInput`. */
const control = (input: WorkflowInput, models: readonly ModelConfig[]): { readonly node: HTMLElement; readonly read: () => unknown } => {
  const id = `input-${input.index}`;
  const c = input.constraints;
  switch (input.kind) {
    case 'string': {
      const t = el('textarea', { id, name: input.label, value: typeof input.value === 'string' ? input.value : '' });
      return { node: t, read: () => t.value };
    }
    case 'integer':
    case 'float': {
      const n = el('input', { id, type: 'number', value: input.value === undefined ? '' : String(input.value), step: String(c.multipleOf ?? (input.kind === 'integer' ? 1 : 'any')) });
      if (c.minimum !== undefined) n.min = String(c.minimum);
      if (c.maximum !== undefined) n.max = String(c.maximum);
      return { node: n, read: () => (n.value === '' ? undefined : Number(n.value)) };
    }
    case 'boolean': {
      const b = el('input', { id, type: 'checkbox', checked: input.value === true });
      return { node: b, read: () => b.checked };
    }
    case 'enum': {
      const s = el('select', { id }, ...(c.options ?? []).map((o) => el('option', { value: String(o), selected: o === input.value }, String(o))));
      return { node: s, read: () => s.value };
    }
    case 'model': {
      const fits = models.filter((m) => (!c.modelBase?.length || c.modelBase.includes(m.base)) && (!c.modelType?.length || c.modelType.includes(m.type)));
      const current = (input.value as { key?: string } | undefined)?.key;
      const s = el('select', { id }, ...fits.map((m) => el('option', { value: m.key, selected: m.key === current }, `${m.name} (${m.base})`)));
      return {
        node: s,
        read: () => {
          const m = fits.find((f) => f.key === s.value);
          return m && { key: m.key, hash: m.hash ?? '', name: m.name, base: m.base, type: m.type };
        },
      };
    }
    default: {
      // board, image and others: a name or id as text; empty leaves the value as it is.
      const t = el('input', { id, type: 'text', placeholder: input.kind === 'board' ? 'board id, or empty for uncategorized' : `${input.kind}` });
      return { node: t, read: () => (t.value === '' ? input.value : t.value) };
    }
  }
};

/** A node's row: its progress bar and its percentage, made when the node is first heard of. */
interface NodeRow {
  readonly bar: HTMLProgressElement;
  readonly percent: HTMLSpanElement;
}

const renderNode = (nodes: Map<string, NodeRow>, nodeId: string, nodeType: string): NodeRow => {
  let row = nodes.get(nodeId);
  if (row === undefined) {
    row = { bar: el('progress', { max: 1, value: 0 }), percent: el('span', { className: 'percent' }, '0%') };
    row.bar.dataset['node'] = nodeId;
    $('nodes').append(el('div', {}, nodeType, row.bar, row.percent));
    nodes.set(nodeId, row);
  }
  return row;
};

/** Shows a node's progress, 0..1, on its bar and as a percentage. */
const showNode = (row: NodeRow, fraction: number): void => {
  row.bar.value = fraction;
  row.percent.textContent = `${Math.round(fraction * 100)}%`;
};

const start = async (): Promise<void> => {
  $('server').textContent = baseUrl;
  // A browser bundle has no default node templates: the page types the workflow with the server's,
  // as InvokeAI's GUI does (or it could import InvokeAI's own from invokeai-rx/templates).
  const [installed, templates] = await Promise.all([models(client).list(), serverTemplates(client)]);
  const wf: WorkflowValue = (await models(client).sync(Workflow.fromObject(workflowJson, { templates }), { byBase: true })).workflow;
  const inputs = listInputs(wf);
  const controls = inputs.map((i) => ({ input: i, ...control(i, installed) }));
  const form = $('form');
  form.replaceChildren(
    el('h2', {}, wf.json.name),
    ...controls.flatMap(({ input, node }) => [el('label', { htmlFor: node.id }, input.label, ' ', el('small', {}, `${input.kind}${input.required ? ' *' : ''}`)), node]),
    el('button', { type: 'submit', id: 'run' }, 'Run'),
    el('p', { id: 'error', className: 'error' }),
  );

  let running: Subscription | undefined;
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    running?.unsubscribe(); // leaving a run cancels it on the server
    $('error').textContent = '';
    let next = wf;
    try {
      for (const { input, read } of controls) next = setInput(input.index, read())(next);
    } catch (error) {
      $('error').textContent = error instanceof Error ? error.message : String(error);
      return;
    }
    const nodes = new Map<string, NodeRow>();
    $('nodes').replaceChildren();
    $('preview').replaceChildren();
    const total = next.json.nodes.filter((n) => n.type === 'invocation').length;
    let done = 0;
    $('status').textContent = 'Enqueueing…';
    running = client.run(next).subscribe({
      next: (e: RunEvent) => {
        switch (e.type) {
          case 'enqueued':
            $('status').textContent = `Enqueued as item ${e.itemIds.join(', ')}.`;
            break;
          case 'node_started':
            renderNode(nodes, e.nodeId, e.nodeType);
            break;
          case 'node_progress': {
            // A step without a percentage (a model loading) leaves the bar where it was.
            if (e.percentage !== null) showNode(renderNode(nodes, e.nodeId, e.nodeId), e.percentage);
            if (e.image) {
              const img = el('img', { src: e.image.dataURL, alt: 'preview', className: 'preview' });
              $('preview').replaceChildren(img);
            }
            break;
          }
          case 'node_completed':
            showNode(renderNode(nodes, e.nodeId, e.nodeType), 1);
            $('overall').setAttribute('value', String(Math.min(1, ++done / total)));
            break;
          case 'completed':
            $('overall').setAttribute('value', '1');
            $('status').textContent = `Item ${e.itemId} completed.`;
            for (const o of e.outputs) {
              for (const image of o.images) {
                $('final').prepend(el('img', { src: `${baseUrl}/api/v1/images/i/${encodeURIComponent(image.imageName)}/full`, alt: image.imageName, className: 'final' }));
              }
            }
            break;
          case 'failed':
            $('status').textContent = `Item ${e.itemId} failed: ${e.error.type}: ${e.error.message}`;
            break;
          case 'canceled':
            $('status').textContent = `Item ${e.itemId} canceled.`;
            break;
          default:
            break;
        }
      },
      error: (error: unknown) => {
        $('status').textContent = `The run stopped: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
      },
    });
  });
};

start().catch((error: unknown) => {
  $('form').replaceChildren(el('p', { className: 'error' }, `Could not start: ${error instanceof Error ? error.message : String(error)}`));
});
