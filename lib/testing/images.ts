/** Image records and bytes of the simulated server. */
import { sqliteNow } from './clock';
import { MediaRecordDTO, MediaStore, NewMediaRecord, StoredMedia, newRecordFields, storedFields } from './media';

/** InvokeAI's `ImageDTO`, as the simulator serves it at `GET /api/v1/images/i/{name}`. */
export interface MockImageDTO extends MediaRecordDTO {
  readonly image_name: string;
  readonly image_url: string;
  readonly thumbnail_url: string;
  readonly image_origin: 'internal' | 'external';
  readonly image_category: 'general' | 'mask' | 'control' | 'user' | 'other';
  readonly width: number;
  readonly height: number;
  readonly image_subfolder: string;
}

/** A stored image: its DTO, its bytes and what was saved with it. */
export type StoredImage = StoredMedia<MockImageDTO>;

/** What is needed to record a new image. */
export interface NewImage extends NewMediaRecord {
  readonly image_name: string;
  readonly width: number;
  readonly height: number;
  readonly image_origin: 'internal' | 'external';
  readonly image_category: MockImageDTO['image_category'];
}

/** The fields of an image's DTO the store changes. */
export type ImageChange = Partial<Pick<MockImageDTO, 'image_category' | 'session_id' | 'is_intermediate' | 'starred' | 'board_id'>>;

/** Mutable image store (the simulator's database table). */
export class ImageStore extends MediaStore<MockImageDTO, StoredImage, ImageChange> {
  /** Records an image and returns its DTO. */
  add(img: NewImage): MockImageDTO {
    const dto: MockImageDTO = {
      image_name: img.image_name,
      image_url: `api/v1/images/i/${img.image_name}/full`,
      thumbnail_url: `api/v1/images/i/${img.image_name}/thumbnail`,
      image_origin: img.image_origin,
      image_category: img.image_category,
      width: img.width,
      height: img.height,
      ...newRecordFields(img, sqliteNow()),
      image_subfolder: '',
      board_id: img.board_id ?? null,
    };
    return this.put(img.image_name, { dto, ...storedFields(img) });
  }
}
