/** Board records of the simulated server. */
import { sqliteNow } from './clock';

/** A stored board (counts are computed from images when served). */
export interface BoardRecord {
  readonly board_id: string;
  readonly board_name: string;
  readonly user_id: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly deleted_at: string | null;
  readonly cover_image_name: string | null;
  readonly archived: boolean;
  readonly board_visibility: 'private' | 'shared' | 'public';
}

/** InvokeAI's `BoardDTO`, as the simulator serves it. */
export interface MockBoardDTO extends BoardRecord {
  readonly cover_video_name: string | null;
  readonly image_count: number;
  readonly video_count: number;
  readonly asset_count: number;
  readonly owner_username: string | null;
}

/** Mutable board store. */
export class BoardStore {
  private readonly boards = new Map<string, BoardRecord>();

  /** Creates a board. */
  create(board_id: string, board_name: string, user_id: string): BoardRecord {
    const now = sqliteNow();
    const rec: BoardRecord = {
      board_id,
      board_name,
      user_id,
      created_at: now,
      updated_at: now,
      deleted_at: null,
      cover_image_name: null,
      archived: false,
      board_visibility: 'private',
    };
    this.boards.set(board_id, rec);
    return rec;
  }

  /** The board, if any. */
  get(id: string): BoardRecord | undefined {
    return this.boards.get(id);
  }

  /** All boards, oldest first. */
  all(): ReadonlyArray<BoardRecord> {
    return [...this.boards.values()];
  }

  /** Applies `BoardChanges`. */
  update(id: string, change: Partial<Pick<BoardRecord, 'board_name' | 'cover_image_name' | 'archived' | 'board_visibility'>>): BoardRecord | undefined {
    const cur = this.boards.get(id);
    if (!cur) return undefined;
    const rec = { ...cur, ...change, updated_at: sqliteNow() };
    this.boards.set(id, rec);
    return rec;
  }

  /** Deletes a board; returns whether it existed. */
  delete(id: string): boolean {
    return this.boards.delete(id);
  }
}
