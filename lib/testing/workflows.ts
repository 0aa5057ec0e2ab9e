/** The simulator's workflow library. */
import { sqliteNow } from './clock';

/** A stored workflow record. */
export interface WorkflowRecord {
  readonly workflow_id: string;
  readonly name: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly opened_at: string | null;
  readonly user_id: string;
  readonly is_public: boolean;
  readonly workflow: Readonly<Record<string, unknown>>;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Mutable workflow library. */
export class WorkflowStore {
  private readonly records = new Map<string, WorkflowRecord>();

  /** Creates a record from a `WorkflowWithoutID`. */
  create(id: string, workflow: Readonly<Record<string, unknown>>, userId: string): WorkflowRecord {
    const now = sqliteNow();
    const rec: WorkflowRecord = { workflow_id: id, name: str(workflow.name), created_at: now, updated_at: now, opened_at: null, user_id: userId, is_public: false, workflow: { ...workflow, id } };
    this.records.set(id, rec);
    return rec;
  }

  /** The record, if any. */
  get(id: string): WorkflowRecord | undefined {
    return this.records.get(id);
  }

  /** Replaces a record's workflow. */
  update(id: string, workflow: Readonly<Record<string, unknown>>): WorkflowRecord | undefined {
    const cur = this.records.get(id);
    if (!cur) return undefined;
    const rec: WorkflowRecord = { ...cur, name: str(workflow.name), workflow: { ...workflow, id }, updated_at: sqliteNow() };
    this.records.set(id, rec);
    return rec;
  }

  /** Deletes a record. */
  delete(id: string): boolean {
    return this.records.delete(id);
  }

  /** All records. */
  all(): ReadonlyArray<WorkflowRecord> {
    return [...this.records.values()];
  }
}

/** The list-item shape of `GET /api/v1/workflows/`. */
export const workflowListItem = (r: WorkflowRecord): Record<string, unknown> => {
  const meta = (r.workflow.meta ?? {}) as Record<string, unknown>;
  return {
    workflow_id: r.workflow_id,
    name: r.name,
    created_at: r.created_at,
    updated_at: r.updated_at,
    opened_at: r.opened_at,
    user_id: r.user_id,
    is_public: r.is_public,
    description: str(r.workflow.description),
    category: meta.category === 'default' ? 'default' : 'user',
    tags: str(r.workflow.tags),
    thumbnail_url: null,
  };
};
