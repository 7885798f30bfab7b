// The official part-size ladder (protocol §3.1): 4 MiB up to 4 GiB, then the part size doubles with
// each doubling of the file size, up to 128 MiB. Thresholds are settings so tests can scale them down.

export interface ChunkLadder {
  /** Part size for files up to baseLimit. */
  baseChunkSize: number;
  /** Largest file that still uses baseChunkSize. */
  baseLimit: number;
  /** The ladder stops here. */
  maxChunkSize: number;
}

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export const DEFAULT_LADDER: Readonly<ChunkLadder> = {
  baseChunkSize: 4 * MiB,
  baseLimit: 4 * GiB,
  maxChunkSize: 128 * MiB,
};

/** The part size the official client uses for a file of `size` bytes. */
export function chunkSizeFor(size: number, ladder: ChunkLadder = DEFAULT_LADDER): number {
  let chunk = ladder.baseChunkSize;
  let limit = ladder.baseLimit;
  while (size > limit && chunk < ladder.maxChunkSize) {
    chunk *= 2;
    limit *= 2;
  }
  return chunk;
}

/** Number of parts a file of `size` bytes is cut into with part size `chunk` (at least one). */
export function partCount(size: number, chunk: number): number {
  return Math.max(1, Math.ceil(size / chunk));
}
