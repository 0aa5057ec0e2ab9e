/** Image records and bytes of the simulated server. */
import { sqliteNow } from './clock';

/** `ImageDTO` as served by `GET /api/v1/images/i/{name}`. */
export interface ImageDTO {
  readonly image_name: string;
  readonly image_url: string;
  readonly thumbnail_url: string;
  readonly image_origin: 'internal' | 'external';
  readonly image_category: 'general' | 'mask' | 'control' | 'user' | 'other';
  readonly width: number;
  readonly height: number;
  readonly created_at: string;
  readonly updated_at: string;
  readonly deleted_at: string | null;
  readonly is_intermediate: boolean;
  readonly session_id: string | null;
  readonly node_id: string | null;
  readonly starred: boolean;
  readonly has_workflow: boolean;
  readonly image_subfolder: string;
  readonly board_id: string | null;
}

/** A stored image: its DTO, its bytes and what was saved with it. */
export interface StoredImage {
  readonly dto: ImageDTO;
  readonly bytes: Buffer;
  readonly metadata: unknown;
  readonly workflow: unknown;
  readonly graph: unknown;
  readonly user_id: string;
}

/** What is needed to record a new image. */
export interface NewImage {
  readonly image_name: string;
  readonly bytes: Buffer;
  readonly width: number;
  readonly height: number;
  readonly image_origin: 'internal' | 'external';
  readonly image_category: ImageDTO['image_category'];
  readonly is_intermediate: boolean;
  readonly session_id?: string | null;
  readonly node_id?: string | null;
  readonly board_id?: string | null;
  readonly metadata?: unknown;
  readonly workflow?: unknown;
  readonly graph?: unknown;
  readonly user_id?: string;
}

/** Mutable image store (the simulator's database table). */
export class ImageStore {
  private readonly images = new Map<string, StoredImage>();

  /** Records an image and returns its DTO. */
  add(img: NewImage): ImageDTO {
    const now = sqliteNow();
    const dto: ImageDTO = {
      image_name: img.image_name,
      image_url: `api/v1/images/i/${img.image_name}/full`,
      thumbnail_url: `api/v1/images/i/${img.image_name}/thumbnail`,
      image_origin: img.image_origin,
      image_category: img.image_category,
      width: img.width,
      height: img.height,
      created_at: now,
      updated_at: now,
      deleted_at: null,
      is_intermediate: img.is_intermediate,
      session_id: img.session_id ?? null,
      node_id: img.node_id ?? null,
      starred: false,
      has_workflow: img.workflow !== undefined && img.workflow !== null,
      image_subfolder: '',
      board_id: img.board_id ?? null,
    };
    this.images.set(img.image_name, {
      dto,
      bytes: img.bytes,
      metadata: img.metadata ?? null,
      workflow: img.workflow ?? null,
      graph: img.graph ?? null,
      user_id: img.user_id ?? 'system',
    });
    return dto;
  }

  /** The stored image, if any. */
  get(name: string): StoredImage | undefined {
    return this.images.get(name);
  }

  /** All stored images, oldest first. */
  all(): ReadonlyArray<StoredImage> {
    return [...this.images.values()];
  }

  /** Applies a change to an image's DTO. */
  update(name: string, change: Partial<Pick<ImageDTO, 'image_category' | 'session_id' | 'is_intermediate' | 'starred' | 'board_id'>>): ImageDTO | undefined {
    const cur = this.images.get(name);
    if (!cur) return undefined;
    const dto: ImageDTO = { ...cur.dto, ...change, updated_at: sqliteNow() };
    this.images.set(name, { ...cur, dto });
    return dto;
  }

  /** Deletes an image; returns whether it existed. */
  delete(name: string): boolean {
    return this.images.delete(name);
  }
}
