/** The simulated session processor: runs one queue item at a time, node by node, like InvokeAI's default processor. */
import { Timers } from './clock';
import { ImageStore } from './images';
import { MockModelConfig } from './models';
import { JsonSchema, NodeSchema, SchemaIndex, nonNullAlternatives } from './openapi';
import { hash32, imageSize, previewDataUrl, renderPng } from './png';
import { QueueItemRecord, QueueStore } from './queue';
import { GraphEdge, GraphNode, isRecord } from './validate';
import { VideoStore, renderMp4 } from './videos';

/** The largest side of a simulated image. */
const MAX_IMAGE_SIDE = 4096;

/** Frame rate and frame count of a generated video when the graph does not say (Wan 2.2's defaults). */
const DEFAULT_FPS = 16;
const DEFAULT_NUM_FRAMES = 81;

/** What a node's `video_output` reports, and the video it names. */
interface VideoSpec {
  readonly video: { readonly video_name: string };
  readonly width: number;
  readonly height: number;
  readonly num_frames: number;
  readonly fps: number;
  readonly duration: number;
}

/** A node failure injected by `faults.failNodes`. */
export interface InjectedNodeFailure {
  readonly type: string;
  readonly errorType: string;
  readonly message: string;
  remaining: number;
}

/** What the processor needs from the server around it. */
export interface ProcessorHost {
  readonly index: SchemaIndex;
  readonly queue: QueueStore;
  readonly images: ImageStore;
  readonly videos: VideoStore;
  readonly timers: Timers;
  readonly stepMs: number;
  readonly steps: number;
  models(): ReadonlyArray<MockModelConfig>;
  newId(): string;
  nodeFailures(): InjectedNodeFailure[];
  /** Milliseconds to hold the next started item in `waiting`, if any (consumed). */
  takeWaitingHold(): number | undefined;
  emitStatus(item: QueueItemRecord): void;
  emitInvocation(name: string, item: QueueItemRecord, invocation: GraphNode, sourceId: string, extra: Record<string, unknown>): void;
  /** `model_load_started` / `model_load_complete` for one submodel load. */
  emitModelLoad(name: 'model_load_started' | 'model_load_complete', item: QueueItemRecord, config: MockModelConfig, submodelType: string | null): void;
}

/** Raised inside a node run to fail the item with InvokeAI's error type and message. */
class NodeError extends Error {
  constructor(readonly errorType: string, message: string) {
    super(message);
    this.name = 'NodeError';
  }
}

/** Raised when the item was canceled while a node ran. */
class Canceled extends Error {
  constructor() {
    super('canceled');
    this.name = 'Canceled';
  }
}

/** One prepared copy of a source node. */
interface Instance {
  readonly preparedId: string;
  readonly path: ReadonlyArray<number>;
  readonly output: Readonly<Record<string, unknown>>;
  readonly key: string;
  readonly size: { width: number; height: number } | undefined;
  /** The frame count a video node works with (its own `num_frames`, else its parents'). */
  readonly frames: number | undefined;
}


/** What an output image or video records of the node that made it (board, metadata) and of its queue item. */
const outputRecordFields = (item: QueueItemRecord, inv: Readonly<Record<string, unknown>>) => {
  const board = inv.board;
  return {
    is_intermediate: inv.is_intermediate === true,
    session_id: item.session_id,
    node_id: inv.id as string,
    board_id: isRecord(board) && typeof board.board_id === 'string' ? board.board_id : null,
    metadata: isRecord(inv.metadata) ? inv.metadata : null,
    workflow: item.workflow,
    graph: item.session.graph,
    user_id: item.user_id,
  };
};

const isPrefix = (p: ReadonlyArray<number>, q: ReadonlyArray<number>): boolean => p.length <= q.length && p.every((x, i) => q[i] === x);

/** Stable topological order of the source graph (insertion order among ready nodes). */
const topoOrder = (nodes: Readonly<Record<string, GraphNode>>, edges: ReadonlyArray<GraphEdge>): string[] => {
  const ids = Object.keys(nodes);
  const indegree = new Map(ids.map((id) => [id, 0]));
  for (const e of edges) indegree.set(e.destination.node_id, (indegree.get(e.destination.node_id) ?? 0) + 1);
  const out: string[] = [];
  const done = new Set<string>();
  while (out.length < ids.length) {
    const next = ids.find((id) => !done.has(id) && indegree.get(id) === 0);
    if (next === undefined) break;
    done.add(next);
    out.push(next);
    for (const e of edges) if (e.source.node_id === next) indegree.set(e.destination.node_id, (indegree.get(e.destination.node_id) ?? 1) - 1);
  }
  return out;
};

const MODEL_TYPES = new Set(['main', 'vae', 'lora', 'control_lora', 'controlnet', 'embedding', 'ip_adapter', 'clip_vision', 'clip_embed', 't2i_adapter', 't5_encoder', 'wan_t5_encoder', 'spandrel_image_to_image', 'siglip', 'flux_redux', 'llava_onevision', 'qwen3_encoder', 'qwen_vl_encoder', 'qwen3_vl_encoder', 'mistral_encoder', 'gemma2_encoder', 'text_llm']);

/** Model identifiers found in a value (a direct input), to check they are installed. */
const modelKeysIn = (value: unknown, depth = 0): string[] => {
  if (depth > 3) return [];
  if (Array.isArray(value)) return value.flatMap((v) => modelKeysIn(v, depth + 1));
  if (!isRecord(value)) return [];
  if (typeof value.key === 'string' && typeof value.type === 'string' && typeof value.base === 'string' && MODEL_TYPES.has(value.type)) return [value.key];
  return Object.values(value).flatMap((v) => modelKeysIn(v, depth + 1));
};

/** Image names found in a direct input value. */
const imageNamesIn = (value: unknown, depth = 0): string[] => {
  if (depth > 3) return [];
  if (Array.isArray(value)) return value.flatMap((v) => imageNamesIn(v, depth + 1));
  if (!isRecord(value)) return [];
  if (typeof value.image_name === 'string' && Object.keys(value).length === 1) return [value.image_name];
  return [];
};

/** The session processor. */
export class Processor {
  private running = false;
  private paused = false;
  private closed = false;

  constructor(private readonly host: ProcessorHost) {}

  /** `{is_started, is_processing}` as `GET .../status` reports it. */
  status(): { is_started: boolean; is_processing: boolean } {
    return { is_started: !this.paused, is_processing: this.running };
  }

  /** Stops taking new items (the running one finishes). */
  pause(): void {
    this.paused = true;
  }

  /** Resumes taking items. */
  resume(): void {
    this.paused = false;
    this.kick();
  }

  /** Stops for good. */
  close(): void {
    this.closed = true;
  }

  /** Starts processing if idle and something is pending. Asynchronous: never emits synchronously. */
  kick(): void {
    if (this.running || this.paused || this.closed) return;
    this.running = true;
    this.host.timers.after(0, () => void this.loop());
  }

  private async loop(): Promise<void> {
    try {
      while (!this.paused && !this.closed) {
        const item = this.host.queue.next();
        if (!item) break;
        try {
          await this.runItem(item);
        } catch (err) {
          // a simulator defect must not wedge the queue: fail the item as the real processor does on an unexpected error
          if (item.status === 'in_progress') {
            item.error_type = 'Exception';
            item.error_message = err instanceof Error ? err.message : String(err);
            item.error_traceback = `Traceback (most recent call last):\nException: ${item.error_message}\n`;
            this.host.queue.setStatus(item, 'failed');
            this.host.emitStatus(item);
          }
        }
      }
    } finally {
      this.running = false;
    }
  }

  private stillRunning(item: QueueItemRecord): boolean {
    return !this.closed && (item.status === 'in_progress') && this.host.queue.get(item.item_id) === item;
  }

  private async runItem(item: QueueItemRecord): Promise<void> {
    const { host } = this;
    host.queue.setStatus(item, 'in_progress');
    host.emitStatus(item);
    const hold = host.takeWaitingHold();
    if (hold !== undefined) {
      // like a parent suspended on a call_saved_workflow child: waiting, then pending, then running again
      host.queue.setStatus(item, 'waiting');
      host.emitStatus(item);
      await host.timers.sleep(hold);
      if (item.status !== 'waiting' || this.closed) return;
      host.queue.setStatus(item, 'pending');
      host.emitStatus(item);
      host.queue.setStatus(item, 'in_progress');
      host.emitStatus(item);
    }
    const session = item.session;
    const graph = session.graph;
    const instances = new Map<string, Instance[]>();
    try {
      for (const sourceId of topoOrder(graph.nodes, graph.edges)) {
        const node = graph.nodes[sourceId];
        if (!node) continue;
        const inEdges = graph.edges.filter((e) => e.destination.node_id === sourceId);
        const made: Instance[] = [];
        instances.set(sourceId, made);
        for (const plan of this.plan(node, inEdges, instances)) {
          if (!this.stillRunning(item)) return;
          made.push(await this.runInstance(item, node, plan.path, plan.parents, plan.collection));
        }
        session.executed.push(sourceId);
        session.executed_history.push(sourceId);
      }
    } catch (err) {
      if (err instanceof Canceled) return;
      if (err instanceof NodeError) return;
      throw err;
    }
    if (!this.stillRunning(item)) return;
    host.queue.setStatus(item, 'completed');
    host.emitStatus(item);
  }

  /** Which prepared copies a source node gets: one per iteration path of its parents (collect folds one level). */
  private plan(
    node: GraphNode,
    inEdges: ReadonlyArray<GraphEdge>,
    instances: ReadonlyMap<string, ReadonlyArray<Instance>>,
  ): Array<{ path: number[]; parents: Array<{ edge: GraphEdge; inst: Instance }>; collection?: unknown[] }> {
    if (node.type === 'collect') {
      const groups = new Map<string, { path: number[]; parents: Array<{ edge: GraphEdge; inst: Instance }>; collection: unknown[] }>();
      for (const edge of inEdges) {
        for (const inst of instances.get(edge.source.node_id) ?? []) {
          const path = inst.path.slice(0, -1);
          const key = path.join('.');
          const g = groups.get(key) ?? { path, parents: [], collection: [] };
          g.parents.push({ edge, inst });
          if (edge.destination.field === 'item') g.collection.push(inst.output[edge.source.field]);
          else if (edge.destination.field === 'collection' && Array.isArray(inst.output[edge.source.field]))
            g.collection.unshift(...(inst.output[edge.source.field] as unknown[]));
          groups.set(key, g);
        }
      }
      return groups.size ? [...groups.values()] : [{ path: [], parents: [], collection: [] }];
    }
    // a node downstream of an empty iteration never runs (as InvokeAI: nothing gets prepared for it)
    if (inEdges.some((e) => (instances.get(e.source.node_id) ?? []).length === 0)) return [];
    const parentPaths = inEdges.flatMap((e) => (instances.get(e.source.node_id) ?? []).map((i) => i.path));
    const maxLen = parentPaths.reduce((m, p) => Math.max(m, p.length), 0);
    const unique = new Map<string, number[]>();
    for (const p of parentPaths) if (p.length === maxLen) unique.set(p.join('.'), [...p]);
    const paths = unique.size ? [...unique.values()] : [[]];
    const plans = paths.map((path) => ({
      path,
      parents: inEdges.flatMap((edge) =>
        (instances.get(edge.source.node_id) ?? [])
          .filter((inst) => isPrefix(inst.path, path))
          .slice(0, 1)
          .map((inst) => ({ edge, inst })),
      ),
    }));
    if (node.type !== 'iterate') return plans;
    return plans.flatMap((p) => {
      const fromEdge = p.parents.find((x) => x.edge.destination.field === 'collection');
      const collection = fromEdge ? fromEdge.inst.output[fromEdge.edge.source.field] : node.collection;
      const items = Array.isArray(collection) ? collection : [];
      return items.map((_, i) => ({ path: [...p.path, i], parents: p.parents, collection: items }));
    });
  }

  private async runInstance(
    item: QueueItemRecord,
    node: GraphNode,
    path: number[],
    parents: ReadonlyArray<{ edge: GraphEdge; inst: Instance }>,
    collection: unknown[] | undefined,
  ): Promise<Instance> {
    const { host } = this;
    const session = item.session;
    const preparedId = host.newId();
    const direct: Record<string, unknown> = { ...node };
    const inputs: Record<string, unknown> = { ...node, id: preparedId };
    for (const { edge, inst } of parents) {
      if (node.type === 'collect') continue;
      inputs[edge.destination.field] = inst.output[edge.source.field];
      delete direct[edge.destination.field];
    }
    if (node.type === 'collect') inputs.collection = collection ?? [];
    if (node.type === 'iterate') inputs.collection = collection ?? [];
    const invocation = inputs as GraphNode;
    session.execution_graph.nodes[preparedId] = invocation;
    for (const { edge, inst } of parents)
      session.execution_graph.edges.push({ source: { node_id: inst.preparedId, field: edge.source.field }, destination: { node_id: preparedId, field: edge.destination.field } });
    session.prepared_source_mapping[preparedId] = node.id;
    (session.source_prepared_mapping[node.id] ??= []).push(preparedId);

    host.emitInvocation('invocation_started', item, invocation, node.id, {});
    const nodeSchema = host.index.nodes.get(node.type);
    const key = String(
      hash32(
        JSON.stringify([
          node.type,
          Object.entries(direct).filter(([k, v]) => k !== 'id' && imageNamesIn(v).length === 0),
          parents.map((p) => p.inst.key),
          path,
        ]),
      ),
    );
    try {
      this.checkNode(node, invocation, direct, nodeSchema);
      this.loadModels(item, invocation, direct);
      const heavy = nodeSchema ? this.isHeavy(nodeSchema) : false;
      const steps = heavy ? Math.max(1, host.steps) : 1;
      for (let step = 0; step < steps; step++) {
        await host.timers.sleep(heavy ? host.stepMs : 0);
        if (!this.stillRunning(item)) throw new Canceled();
        if (heavy) {
          host.emitInvocation('invocation_progress', item, invocation, node.id, {
            message: 'Denoising',
            percentage: (step + 1) / steps,
            image: step % 2 === 0 ? { width: 64, height: 64, dataURL: previewDataUrl(`${key}:${step}`) } : null,
            device: null,
          });
        }
      }
      const size = this.sizeOf(invocation, parents);
      const frames = typeof invocation.num_frames === 'number' && invocation.num_frames > 0 ? Math.round(invocation.num_frames) : parents.find((p) => p.inst.frames !== undefined)?.inst.frames;
      const output = nodeSchema ? this.outputOf(item, nodeSchema, invocation, path, collection, key, size, frames) : { type: 'unknown_output' };
      if (!this.stillRunning(item)) throw new Canceled();
      session.results[preparedId] = output;
      session.executed.push(preparedId);
      host.emitInvocation('invocation_complete', item, invocation, node.id, { result: { ...output, output_meta: null } });
      return { preparedId, path, output, key, size, frames };
    } catch (err) {
      if (err instanceof Canceled) throw err;
      const e = err instanceof NodeError ? err : new NodeError('Exception', err instanceof Error ? err.message : String(err));
      const traceback = `Traceback (most recent call last):\n  File "invokeai/app/services/session_processor/session_processor_default.py", in run_node\n${e.errorType}: ${e.message}\n`;
      session.errors[preparedId] = `${e.errorType}: ${e.message}`;
      item.error_type = e.errorType;
      item.error_message = e.message;
      item.error_traceback = traceback;
      host.queue.setStatus(item, 'failed');
      // the real processor emits the failed status before the invocation error
      host.emitStatus(item);
      host.emitInvocation('invocation_error', item, invocation, node.id, { error_type: e.errorType, error_message: e.message, error_traceback: traceback });
      throw e;
    }
  }

  private checkNode(node: GraphNode, invocation: Readonly<Record<string, unknown>>, direct: Readonly<Record<string, unknown>>, schema: NodeSchema | undefined): void {
    const failure = this.host.nodeFailures().find((f) => f.type === node.type && f.remaining > 0);
    if (failure) {
      failure.remaining -= 1;
      throw new NodeError(failure.errorType, failure.message);
    }
    if (!schema) throw new NodeError('NotExecutableNodeError', `Node type ${node.type} is not known`);
    if (node.type !== 'collect' && node.type !== 'iterate') {
      for (const [field, prop] of Object.entries(schema.schema.properties ?? {})) {
        if (prop.field_kind !== 'input' || prop.orig_required !== true || 'orig_default' in prop) continue;
        const v = invocation[field];
        if (v !== undefined && v !== null) continue;
        if (prop.input === 'connection') throw new NodeError('RequiredConnectionException', `Node ${node.type} missing connections for field ${field}`);
        throw new NodeError('MissingInputException', `Node ${node.type} missing value or connection for field ${field}`);
      }
    }
    const installed = new Set(this.host.models().map((m) => m.key));
    for (const v of Object.values(direct)) {
      for (const key of modelKeysIn(v)) if (!installed.has(key)) throw new NodeError('UnknownModelException', `model not found: ${key}`);
      for (const name of imageNamesIn(v)) if (!this.host.images.get(name)) throw new NodeError('ImageFileNotFoundException', `Image file not found: ${name}`);
    }
  }

  /** Emits model load events for the submodels a node receives through its connections (loader outputs). */
  private loadModels(item: QueueItemRecord, inv: Readonly<Record<string, unknown>>, direct: Readonly<Record<string, unknown>>): void {
    const found: Array<{ key: string; submodel: string | null }> = [];
    const visit = (v: unknown, depth: number): void => {
      if (depth > 3) return;
      if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
      if (!isRecord(v)) return;
      if (typeof v.key === 'string' && typeof v.base === 'string' && typeof v.type === 'string') {
        found.push({ key: v.key, submodel: typeof v.submodel_type === 'string' ? v.submodel_type : null });
        return;
      }
      Object.values(v).forEach((x) => visit(x, depth + 1));
    };
    for (const [k, v] of Object.entries(inv)) if (!(k in direct)) visit(v, 0);
    const seen = new Set<string>();
    for (const f of found) {
      const id = `${f.key}/${f.submodel}`;
      const config = this.host.models().find((m) => m.key === f.key);
      if (seen.has(id) || !config) continue;
      seen.add(id);
      this.host.emitModelLoad('model_load_started', item, config, f.submodel);
      this.host.emitModelLoad('model_load_complete', item, config, f.submodel);
    }
  }

  private isHeavy(schema: NodeSchema): boolean {
    const refs = Object.values(schema.output?.properties ?? {}).map((p) => JSON.stringify(p));
    return schema.type.includes('denoise') || refs.some((r) => /ImageField|VideoField/.test(r));
  }

  private sizeOf(inv: Readonly<Record<string, unknown>>, parents: ReadonlyArray<{ inst: Instance }>): { width: number; height: number } | undefined {
    if (typeof inv.width === 'number' && typeof inv.height === 'number' && inv.width > 0 && inv.height > 0) return { width: inv.width, height: inv.height };
    const fromParent = parents.find((p) => p.inst.size)?.inst.size;
    if (fromParent) return fromParent;
    for (const v of Object.values(inv)) {
      const name = imageNamesIn(v)[0];
      const img = name ? this.host.images.get(name) : undefined;
      if (img) return { width: img.dto.width, height: img.dto.height };
    }
    return undefined;
  }

  /** An output value for each property of the node's output schema, type-correct. */
  private outputOf(
    item: QueueItemRecord,
    schema: NodeSchema,
    inv: Readonly<Record<string, unknown>>,
    path: ReadonlyArray<number>,
    collection: unknown[] | undefined,
    key: string,
    size: { width: number; height: number } | undefined,
    frames: number | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const props = schema.output?.properties ?? {};
    const dims = size ?? { width: 512, height: 512 };
    const makeImage = (): { image_name: string } => this.saveImage(item, inv, key, dims);
    const videoField = Object.entries(props).find(([, p]) => this.host.index.refName(nonNullAlternatives(p)[0] ?? p) === 'VideoField')?.[0];
    const video = videoField === undefined ? undefined : this.videoFor(item, inv, videoField, key, dims, frames);
    for (const [name, prop] of Object.entries(props)) {
      if (name === 'type' || prop.field_kind === 'node_attribute') continue;
      if (video && (name === videoField || name === 'width' || name === 'height' || name === 'num_frames' || name === 'fps' || name === 'duration')) {
        out[name] = name === videoField ? video.video : video[name as Exclude<keyof VideoSpec, 'video'>];
        continue;
      }
      if (schema.type === 'iterate') {
        const index = path[path.length - 1] ?? 0;
        out[name] = name === 'item' ? collection?.[index] : name === 'index' ? index : name === 'total' ? collection?.length ?? 0 : null;
        continue;
      }
      if (schema.type === 'collect' && name === 'collection') {
        out[name] = collection ?? [];
        continue;
      }
      if (name === 'width' || name === 'height') {
        out[name] = dims[name];
        continue;
      }
      out[name] = this.valueFor(name, prop, inv, key, makeImage, 0);
    }
    out.type = schema.output?.properties?.type?.const ?? schema.outputName;
    return out;
  }

  private valueFor(
    name: string,
    prop: JsonSchema,
    inv: Readonly<Record<string, unknown>>,
    key: string,
    makeImage: () => { image_name: string },
    depth: number,
  ): unknown {
    const { index } = this.host;
    const alt = nonNullAlternatives(prop)[0] ?? prop;
    const refName = index.refName(alt) ?? (alt.type === 'array' && alt.items ? index.refName(alt.items) : undefined);
    const s = index.resolve(alt);
    const passthrough = inv[name];
    const passThroughTypes = new Set(['image', 'load_image', 'image_collection', 'video']);
    if (refName === 'ImageField') {
      if (passThroughTypes.has(inv.type as string) && passthrough !== undefined) return passthrough;
      return alt.type === 'array' ? [makeImage()] : makeImage();
    }
    if (alt.type === 'array' && alt.items && refName) {
      if (Array.isArray(passthrough) && depth === 0) return passthrough;
      // an output collection of models (tiles, conditionings...) gets one element so downstream iterations run
      return depth === 0 ? [this.valueFor(name, alt.items, inv, key, makeImage, depth + 1)] : [];
    }
    if (refName === 'LatentsField') return { latents_name: `Tensor_${this.host.newId()}`, seed: typeof inv.seed === 'number' ? inv.seed : null };
    if (refName === 'DenoiseMaskField') return { mask_name: `Tensor_${this.host.newId()}`, masked_latents_name: null, gradient: false };
    // a top-level video output gets a stored video (`videoFor`); only a VideoField nested deeper ends here
    if (refName === 'VideoField') return passthrough ?? { video_name: `${this.host.newId()}.mp4` };
    if (refName && /ConditioningField$/.test(refName)) return { conditioning_name: `ConditioningFieldData_${this.host.newId()}`, ...(s.properties?.mask ? { mask: null } : {}) };
    if (refName === 'ModelIdentifierField') {
      const model = this.modelInput(inv, name);
      return model ? { ...model, submodel_type: SUBMODELS.has(name) ? name : null } : { key: '', hash: '', name: '', base: 'any', type: 'main', submodel_type: null };
    }
    if (passthrough !== undefined && passthrough !== null && !refName && depth === 0 && typeof passthrough !== 'object') return this.coerce(s, passthrough);
    if (passthrough !== undefined && depth === 0 && Array.isArray(passthrough) && s.type === 'array') return passthrough;
    if (depth === 0) {
      const math = this.math(inv);
      if (math !== undefined && name === 'value') return math;
      if (inv.type === 'range' && name === 'collection') {
        const start = typeof inv.start === 'number' ? inv.start : 0;
        const stop = typeof inv.stop === 'number' ? inv.stop : 10;
        const step = typeof inv.step === 'number' && inv.step !== 0 ? inv.step : 1;
        const out: number[] = [];
        for (let v = start; step > 0 ? v < stop : v > stop; v += step) out.push(v);
        return out;
      }
      if (inv.type === 'string_join' && name === 'value') return `${String(inv.string_left ?? '')}${String(inv.string_right ?? '')}`;
    }
    if (s.enum) return s.enum[0];
    switch (s.type) {
      case 'string':
        return typeof s.default === 'string' ? s.default : '';
      case 'integer':
      case 'number':
        return typeof s.default === 'number' ? s.default : 0;
      case 'boolean':
        return typeof s.default === 'boolean' ? s.default : false;
      case 'array':
        return [];
      case 'object': {
        if (depth > 4) return {};
        const obj: Record<string, unknown> = {};
        for (const [k, p] of Object.entries(s.properties ?? {})) {
          const required = s.required?.includes(k);
          if (!required && nonNullAlternatives(p).length !== (p.anyOf ?? p.oneOf ?? [p]).length) {
            obj[k] = null;
            continue;
          }
          obj[k] = this.valueFor(k, p, inv, key, makeImage, depth + 1);
        }
        return obj;
      }
      default:
        return null;
    }
  }

  private math(inv: Readonly<Record<string, unknown>>): number | undefined {
    const a = inv.a;
    const b = inv.b;
    if (typeof a !== 'number' || typeof b !== 'number') return undefined;
    switch (inv.type) {
      case 'add':
        return a + b;
      case 'sub':
        return a - b;
      case 'mul':
        return a * b;
      case 'div':
        return b === 0 ? 0 : Math.trunc(a / b);
      default:
        return undefined;
    }
  }

  private coerce(s: JsonSchema, v: unknown): unknown {
    if (s.type === 'string') return String(v);
    if (s.type === 'integer') return typeof v === 'number' ? Math.trunc(v) : 0;
    if (s.type === 'number') return typeof v === 'number' ? v : 0;
    if (s.type === 'boolean') return Boolean(v);
    return v;
  }

  private modelInput(inv: Readonly<Record<string, unknown>>, outputName: string): Record<string, unknown> | undefined {
    const models = Object.entries(inv).filter(([, v]) => isRecord(v) && typeof v.key === 'string' && typeof v.base === 'string' && typeof v.type === 'string');
    const named = models.find(([k]) => k !== 'model' && k.startsWith(outputName)) ?? models.find(([k]) => k === 'model') ?? models[0];
    if (!named) return undefined;
    const { submodel_type: _ignored, ...rest } = named[1] as Record<string, unknown>;
    return rest;
  }

  /**
   * The video of a node whose output has a `VideoField`: the stored video a pass-through node (`video`)
   * names, else a new video record (bytes: a header-only MP4) on the node's board, sized from the
   * node's inputs (`fps`, `num_frames`, `duration`), its parents' size and frame count, or the
   * concatenated input videos.
   */
  private videoFor(
    item: QueueItemRecord,
    inv: Readonly<Record<string, unknown>>,
    field: string,
    key: string,
    dims: { width: number; height: number },
    frames: number | undefined,
  ): VideoSpec {
    const { videos } = this.host;
    const positive = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
    const passthrough = inv[field];
    if (inv.type === 'video' && isRecord(passthrough) && typeof passthrough.video_name === 'string') {
      const known = videos.get(passthrough.video_name);
      const fps = known?.dto.fps ?? DEFAULT_FPS;
      return {
        video: { video_name: passthrough.video_name },
        width: known?.dto.width ?? dims.width,
        height: known?.dto.height ?? dims.height,
        num_frames: known?.num_frames ?? Math.round((known?.dto.duration ?? 0) * fps),
        fps,
        duration: known?.dto.duration ?? 0,
      };
    }
    const inputs = (Array.isArray(inv.videos) ? inv.videos : [])
      .map((v) => (isRecord(v) && typeof v.video_name === 'string' ? videos.get(v.video_name) : undefined))
      .filter((v): v is NonNullable<typeof v> => v !== undefined);
    const first = inputs[0];
    const fps = positive(inv.fps) ?? first?.dto.fps ?? DEFAULT_FPS;
    const numFrames = inputs.length ? inputs.reduce((n, v) => n + v.num_frames, 0) : frames ?? DEFAULT_NUM_FRAMES;
    const duration = positive(inv.duration) ?? numFrames / fps;
    const width = Math.max(1, Math.min(MAX_IMAGE_SIDE, Math.round(first?.dto.width ?? dims.width)));
    const height = Math.max(1, Math.min(MAX_IMAGE_SIDE, Math.round(first?.dto.height ?? dims.height)));
    const video_name = `${this.host.newId()}.mp4`;
    videos.add({
      video_name,
      bytes: renderMp4({ width, height, duration }, key),
      width,
      height,
      duration,
      fps,
      num_frames: numFrames,
      video_origin: 'internal',
      video_category: 'general',
      ...outputRecordFields(item, inv),
    });
    return { video: { video_name }, width, height, num_frames: numFrames, fps, duration };
  }

  private saveImage(item: QueueItemRecord, inv: Readonly<Record<string, unknown>>, key: string, dims: { width: number; height: number }): { image_name: string } {
    // The requested size, as a real server renders it; the bound only keeps a typo (100000) from
    // exhausting memory. It is InvokeAI's own upper bound for resized uploads (4096²).
    const width = Math.max(1, Math.min(MAX_IMAGE_SIDE, Math.round(dims.width)));
    const height = Math.max(1, Math.min(MAX_IMAGE_SIDE, Math.round(dims.height)));
    const bytes = renderPng(width, height, key);
    const image_name = `${this.host.newId()}.png`;
    const size = imageSize(bytes) ?? { width, height };
    this.host.images.add({
      image_name,
      bytes,
      width: size.width,
      height: size.height,
      image_origin: 'internal',
      image_category: 'general',
      ...outputRecordFields(item, inv),
    });
    return { image_name };
  }
}

const SUBMODELS = new Set(['unet', 'transformer', 'transformer_2', 'text_encoder', 'text_encoder_2', 'text_encoder_3', 'tokenizer', 'tokenizer_2', 'tokenizer_3', 'vae', 'scheduler']);
