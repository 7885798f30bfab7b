// Strong ETags from what identifies a stored version (fsId, size, mtime, md5), hashed with xxhash so
// the same version gets the same ETag in every process and after every restart.

import xxhash from 'xxhash-wasm';

export interface EtagSource {
  /** TeraBox fs_id; 0 for entries kept in the local overlay. */
  fsId: number;
  size: number;
  /** Modification time in ms. */
  mtimeMs: number;
  /** Content identity: the server md5 remotely, the local content file id in the overlay. */
  md5?: string;
}

export type Etagger = (source: EtagSource) => string;

let etagger: Promise<Etagger> | undefined;
let loaded: Etagger | undefined;

/** The ETag function once loadEtagger() has resolved (for synchronous callers), else undefined. */
export function loadedEtagger(): Etagger | undefined {
  return loaded;
}

/** The ETag function; the WebAssembly hasher is instantiated once per process. */
export function loadEtagger(): Promise<Etagger> {
  etagger ??= xxhash().then(({ h64ToString }) => {
    loaded = (s: EtagSource) => `"${h64ToString(`${s.fsId}\n${s.size}\n${s.mtimeMs}\n${s.md5 ?? ''}`)}"`;
    return loaded;
  });
  return etagger;
}
