/** What the simulator's image and video tables share: the record fields both kinds have, and the table itself. */
import { sqliteNow } from './clock';

/** The DTO fields images and videos both have (`image_*`/`video_*` fields are each kind's own). */
export interface MediaRecordDTO {
  readonly created_at: string;
  readonly updated_at: string;
  readonly deleted_at: string | null;
  readonly is_intermediate: boolean;
  readonly session_id: string | null;
  readonly node_id: string | null;
  readonly starred: boolean;
  readonly has_workflow: boolean;
  readonly board_id: string | null;
}

/** The fields of a new image or video that are not about its kind (its name, size, category and origin are). */
export interface NewMediaRecord {
  readonly bytes: Buffer;
  readonly is_intermediate: boolean;
  readonly session_id?: string | null;
  readonly node_id?: string | null;
  readonly board_id?: string | null;
  readonly metadata?: unknown;
  readonly workflow?: unknown;
  readonly graph?: unknown;
  readonly user_id?: string;
}

/** A stored image or video: its DTO, its bytes and what was saved with it. */
export interface StoredMedia<DTO> {
  readonly dto: DTO;
  readonly bytes: Buffer;
  readonly metadata: unknown;
  readonly workflow: unknown;
  readonly graph: unknown;
  readonly user_id: string;
}

/** The DTO fields a new record of either kind starts with, from `created_at` to `has_workflow` (the server's order). */
export const newRecordFields = (r: NewMediaRecord, now: string): Omit<MediaRecordDTO, 'board_id'> => ({
  created_at: now,
  updated_at: now,
  deleted_at: null,
  is_intermediate: r.is_intermediate,
  session_id: r.session_id ?? null,
  node_id: r.node_id ?? null,
  starred: false,
  has_workflow: r.workflow !== undefined && r.workflow !== null,
});

/** What a new record of either kind stores besides its DTO (nothing saved is stored as `null`; the owner defaults to `system`). */
export const storedFields = (r: NewMediaRecord) => ({
  bytes: r.bytes,
  metadata: r.metadata ?? null,
  workflow: r.workflow ?? null,
  graph: r.graph ?? null,
  user_id: r.user_id ?? 'system',
});

/** A mutable table of images or videos by name (the simulator's database table); subclasses build the records. */
export abstract class MediaStore<DTO extends MediaRecordDTO, Stored extends StoredMedia<DTO>, Change extends Partial<DTO>> {
  private readonly records = new Map<string, Stored>();

  /** Stores a record under its name and returns its DTO. */
  protected put(name: string, stored: Stored): DTO {
    this.records.set(name, stored);
    return stored.dto;
  }

  /** The stored record, if any. */
  get(name: string): Stored | undefined {
    return this.records.get(name);
  }

  /** All stored records, oldest first. */
  all(): ReadonlyArray<Stored> {
    return [...this.records.values()];
  }

  /** Applies a change to a record's DTO. */
  update(name: string, change: Change): DTO | undefined {
    const cur = this.records.get(name);
    if (!cur) return undefined;
    const dto: DTO = { ...cur.dto, ...change, updated_at: sqliteNow() };
    this.records.set(name, { ...cur, dto });
    return dto;
  }

  /** Deletes a record; returns whether it existed. */
  delete(name: string): boolean {
    return this.records.delete(name);
  }
}
