/**
 * Size limits on inputs and outputs, each checked before the work it would make too big
 * starts, with an error naming the file or option (docs/reliability.md).
 */

const MiB = 2 ** 20;

/** Coordinates per point of a CSV (the MLP's input width; 4096 × 4096 weights at the widest net). */
export const MAX_POINT_DIM = 4096;
/** Bytes of a CSV file of points (read as one string; V8's strings end at 512 MiB). */
export const MAX_CSV_BYTES = 256 * MiB;
/** Pixels of one PNG/JPEG image, from its header, before decoding (RGBA: 4 bytes each). */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Bytes of a decoded image dataset (a folder, an IDX file): count × H × W × C. */
export const MAX_DATASET_BYTES = 2048 * MiB;
/** Bytes of an IDX file, compressed or not, and of its decompressed content. */
export const MAX_IDX_BYTES = 2048 * MiB;
/** `dggf sample --n` for a point run (streamed to the CSV in batches). */
export const MAX_SAMPLE_POINTS = 100_000_000;
/** `dggf sample --n` for an image run (one PNG file each). */
export const MAX_SAMPLE_IMAGES = 1_000_000;
/** `dggf eval --n` for a point run (MMD and energy distance cost n² pairs). */
export const MAX_EVAL_POINTS = 20_000;

/** A byte count for messages: 1.5 GiB, 300 MiB, 12 KiB. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} bytes` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}
