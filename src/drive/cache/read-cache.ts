// Reads through the block cache. A read is cut at chunk boundaries; each chunk comes from disk when
// cached, else from a ranged fetch of the whole chunk (shared by every reader of that chunk), streamed
// to the reader as its bytes arrive and stored once complete.
//
// Read-ahead: a sequential reader (a read spanning several chunks, or one that starts where the last
// read of the same file ended) keeps up to `parallel` chunk fetches in flight ahead of the chunk it is
// reading; any other read fetches only the chunks it covers. Memory is bounded by the chunks in flight.
// Each fetch goes through the drive's download path (cached link, one shared re-mint when it expired,
// resumed from the byte reached when cut off), and must deliver exactly the chunk's length.
// A reader whose client goes away releases its fetches; one no other reader uses is cancelled.

import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { silentLogger, type Logger } from '../../log.js';
import type { RemoteEntry } from '../../terabox/api.js';
import type { CacheStatus } from '../status.js';
import { DriveError, isDriveError, type ByteRange } from '../types.js';
import { md5Checked } from '../content-md5.js';
import { readFully } from '../../util/file-pieces.js';
import { ChunkFetch, type FetchPart } from './chunk-fetch.js';
import type { ChunkHandle, ChunkStore } from './chunk-store.js';

/** What identifies one stored version of a TeraBox file (a change of any of them is new content). */
export type FileVersion = Pick<RemoteEntry, 'fsId' | 'path' | 'size' | 'mtime' | 'md5'>;

/**
 * Opens a ranged download of the file (the drive's download path); aborted through the signal.
 * `seen` hears the whole-file MD5 TeraBox sent with the answer (`content-md5`, plain hex), if any.
 */
export type RangeOpener = (range: ByteRange, signal: AbortSignal, seen?: (contentMd5: string) => void) => Promise<Readable>;

export interface ReadCacheOptions {
  store: ChunkStore;
  /** Bytes per chunk (default 8 MiB). */
  chunkSize?: number;
  /** Chunk fetches in flight for one sequential reader (default 4). */
  parallel?: number;
  logger?: Logger;
}

export const READ_CACHE_DEFAULTS = { chunkSize: 8 * 1024 * 1024, parallel: 4 } as const;

/**
 * A read starting at least this far into a chunk it must fetch gets the bytes from its offset in a
 * request of their own (about one round trip's worth of bytes at 2 MB/s); nearer the start, the
 * chunk is fetched from its first byte.
 */
export const SPLIT_MIN = 256 * 1024;

interface File {
  key: string;
  path: string;
  size: number;
}

type Source = { kind: 'disk'; handle: ChunkHandle } | { kind: 'fetch'; fetch: ChunkFetch };

/** One read: the fetches of its window, by chunk index (dropped once served, so memory stays bounded). */
interface Reader {
  fetches: Map<number, ChunkFetch>;
  released: boolean;
}

/** The cache key of a file version: its identity, content version and the chunk size it is cut in. */
export function versionKey(v: FileVersion, chunkSize: number): string {
  return createHash('sha256')
    .update([v.fsId, v.md5 ?? '', v.size, v.mtime, chunkSize].join('\n'))
    .digest('hex')
    .slice(0, 40);
}

export class ReadCache {
  readonly chunkSize: number;
  readonly parallel: number;
  private readonly store: ChunkStore;
  private readonly log: Logger;
  private readonly inflight = new Map<string, ChunkFetch>();
  /** Per file version, where its last read ended (a read starting there is sequential). */
  private readonly lastEnd = new LRUCache<string, number>({ max: 4096 });
  /** Per file version, the whole-file MD5 TeraBox sent with a chunk fetch (content-md5). */
  private readonly contentMd5 = new LRUCache<string, string>({ max: 4096 });
  /** File versions a whole-file read has checked against their content-md5. */
  private readonly verified = new LRUCache<string, true>({ max: 4096 });
  private readonly writes = new Set<Promise<unknown>>();
  private hits = 0;
  private misses = 0;
  private fetched = 0;
  private closed = false;

  constructor(opts: ReadCacheOptions) {
    this.store = opts.store;
    this.chunkSize = opts.chunkSize ?? READ_CACHE_DEFAULTS.chunkSize;
    this.parallel = opts.parallel ?? READ_CACHE_DEFAULTS.parallel;
    this.log = opts.logger ?? silentLogger;
    if (!Number.isSafeInteger(this.chunkSize) || this.chunkSize < 1) throw new RangeError('chunkSize must be a positive integer');
    if (!Number.isSafeInteger(this.parallel) || this.parallel < 1) throw new RangeError('parallel must be a positive integer');
  }

  /**
   * The bytes of `range` (the whole file when absent) of a TeraBox file. Resolves once the first
   * chunk is available (from disk, or its download has started), so a refusal is an error here and
   * not a broken body.
   */
  async read(version: FileVersion, range: ByteRange | undefined, signal: AbortSignal | undefined, open: RangeOpener): Promise<Readable> {
    if (this.closed) throw new DriveError('UNAVAILABLE', 'the read cache is closed');
    const file: File = { key: versionKey(version, this.chunkSize), path: version.path, size: version.size };
    if (file.size === 0) return Readable.from([]);
    const start = range?.start ?? 0;
    const end = range?.end ?? file.size - 1;
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && start <= end && end < file.size)) {
      throw new DriveError('UPSTREAM', `read ${file.path}: range ${start}-${end} is outside the file's ${file.size} bytes`);
    }
    const cs = this.chunkSize;
    const first = Math.floor(start / cs);
    const last = Math.floor(end / cs);
    // A whole-file read that fetches anything is checked against TeraBox's content-md5 (when sent); a
    // mismatch drops every chunk of the version and cuts the body short. No check when every chunk is
    // on disk, nor when the only chunks not on disk are still in flight from a whole-file read of
    // this version that passed the check (as right after that read): no MD5 over bytes known good.
    let checked = false;
    if (start === 0 && end === file.size - 1) {
      const known = this.verified.has(file.key);
      for (let i = first; i <= last && !checked; i++) {
        checked = !this.store.has(file.key, i) && (!known || !this.live(file.key, i));
      }
    }
    const consecutive = this.lastEnd.get(file.key) === start;
    this.lastEnd.set(file.key, end + 1);
    const sequential = consecutive || last > first;
    const window = sequential ? this.parallel : 1;
    // A reader reading consecutive ranges gets chunks fetched past its current range, for its next read.
    const horizon = consecutive ? Math.floor((file.size - 1) / cs) : last;

    const reader: Reader = { fetches: new Map(), released: false };
    const release = (aborted: boolean) => this.release(reader, aborted);
    if (signal?.aborted) throw new DriveError('ABORTED', `read ${file.path}: aborted`);
    const firstFrom = start - first * cs;
    void this.ahead(file, first, window, horizon, reader, open, { from: firstFrom });
    let firstSource: Source;
    try {
      firstSource = await this.source(file, first, reader, open, firstFrom);
      if (firstSource.kind === 'fetch') await firstSource.fetch.opened;
    } catch (e) {
      release(true);
      throw e;
    }
    const self = this;
    let finished = false;
    async function* bytes(): AsyncGenerator<Buffer> {
      let pending: Source | undefined = firstSource;
      try {
        for (let i = first; i <= last; i++) {
          if (i > first) {
            await self.ahead(file, i, window, horizon, reader, open, { bounded: true });
          }
          const src: Source = pending ?? (await self.source(file, i, reader, open));
          pending = undefined;
          const from = i === first ? start - i * cs : 0;
          const to = i === last ? end - i * cs : self.chunkLength(file, i) - 1;
          if (src.kind === 'disk') {
            try {
              yield* src.handle.read(from, to);
            } finally {
              await src.handle.release();
            }
          } else {
            yield* src.fetch.serve(from, to);
            self.disown(reader, i);
          }
        }
        finished = true;
      } catch (e) {
        throw isDriveError(e) ? e : new DriveError('UPSTREAM', `read ${file.path}: ${(e as Error).message}`, e);
      } finally {
        if (pending?.kind === 'disk') await pending.handle.release();
        release(!finished);
      }
    }
    // A few pieces buffered ahead, so the next read from disk overlaps the socket write of this one.
    const what = `read ${file.path}`;
    const source = checked
      ? this.verifiedOnce(
          file,
          md5Checked(
            bytes(),
            () => this.contentMd5.get(file.key),
            what,
            () => this.discard(file),
          ),
        )
      : bytes();
    const out = Readable.from(source, { objectMode: false, highWaterMark: 4 * 1024 * 1024 });
    // A client that goes away (or a reader that stops early) cancels read-ahead nobody else uses.
    const onAbort = () => {
      if (!finished) {
        release(true);
        out.destroy(new DriveError('ABORTED', `read ${file.path}: aborted`));
      }
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    out.once('close', () => {
      signal?.removeEventListener('abort', onAbort);
      if (!finished) release(true);
    });
    return out;
  }

  /**
   * Stores a local copy of a file version's bytes (say, a body whose commit to TeraBox just landed)
   * as its chunks, so reading it does not fetch it again. Returns the chunks stored; a source whose
   * size is not the version's stores nothing.
   */
  async adopt(version: FileVersion, source: string): Promise<number> {
    const key = versionKey(version, this.chunkSize);
    const fh = await open(source, 'r');
    try {
      if ((await fh.stat()).size !== version.size) return 0;
      let stored = 0;
      const file: File = { key, path: version.path, size: version.size };
      for (let idx = 0; idx * this.chunkSize < version.size; idx++) {
        if (this.closed) break;
        if (this.store.has(key, idx)) continue;
        const buf = Buffer.allocUnsafe(this.chunkLength(file, idx));
        if ((await readFully(fh, buf, idx * this.chunkSize)) < buf.length) return stored;
        if (await this.store.put(key, idx, buf, version.path)) stored++;
      }
      return stored;
    } finally {
      await fh.close();
    }
  }

  /** Passes a checked read through; once all of it passed with a digest to compare, the version is known good. */
  private async *verifiedOnce(file: File, checked: AsyncGenerator<Buffer>): AsyncGenerator<Buffer> {
    yield* checked;
    if (this.contentMd5.has(file.key)) this.verified.set(file.key, true);
  }

  /** A version whose bytes failed TeraBox's content-md5: none of its chunks is kept. */
  private async discard(file: File): Promise<void> {
    this.verified.delete(file.key);
    this.log.warn({ path: file.path }, "cache: a whole-file read did not match TeraBox's content-md5; its chunks are dropped");
    await Promise.allSettled([...this.writes]);
    this.store.dropAll(file.key);
  }

  status(): CacheStatus {
    const seen = this.hits + this.misses;
    return {
      mode: 'full',
      bytes: this.store.bytes,
      maxBytes: this.store.limit(),
      entries: this.store.entries,
      hits: this.hits,
      misses: this.misses,
      hitRatio: seen === 0 ? 0 : this.hits / seen,
      bytesFetched: this.fetched,
    };
  }

  /** Resolves once no fetch is in flight and every chunk fetched is on disk (tests, shutdown). */
  async idle(deadlineMs = 30_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    while ((this.inflight.size > 0 || this.writes.size > 0) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Cancels the fetches in flight and waits for chunk writes to finish. */
  async close(): Promise<void> {
    this.closed = true;
    for (const f of this.inflight.values()) f.abort.abort();
    await Promise.allSettled([...this.writes]);
    this.store.close();
  }

  private chunkLength(file: File, idx: number): number {
    return Math.min(this.chunkSize, file.size - idx * this.chunkSize);
  }

  /**
   * Takes back a piece of a read's body once its bytes were used (written to a socket), so the next
   * reads from disk reuse its memory; pieces that did not come from the cache's pool are ignored.
   */
  recycle(piece: Buffer): void {
    this.store.pool.give(piece);
  }

  /**
   * Starts fetches for chunks idx .. idx+window-1 (up to horizon) that are neither cached nor in
   * flight; `from` is where the reader begins in chunk idx. When `bounded`, a new fetch first waits
   * until fewer than `parallel` chunk writes are in progress: chunks are fetched no faster than they
   * reach the disk, so memory stays bounded by the window (a read served from disk never waits).
   * Without it, nothing is awaited: every fetch has started when the call returns.
   */
  private async ahead(
    file: File,
    idx: number,
    window: number,
    horizon: number,
    reader: Reader,
    open: RangeOpener,
    opts: { from?: number; bounded?: boolean } = {},
  ): Promise<void> {
    for (let j = idx; j < idx + window && j <= horizon; j++) {
      if (reader.fetches.has(j)) continue;
      let f = this.live(file.key, j);
      if (!f && !this.store.has(file.key, j)) {
        while (opts.bounded && this.writes.size >= this.parallel) await Promise.race(this.writes);
        if (reader.released) return;
        // The wait may have let another reader start it, or store it.
        f = this.live(file.key, j);
        if (!f && !this.store.has(file.key, j)) f = this.fetch(file, j, open, j === idx ? (opts.from ?? 0) : 0);
      }
      if (f) this.own(reader, j, f);
    }
  }

  /** Where chunk idx comes from for this reader: disk if cached, else its (shared) fetch. */
  private async source(file: File, idx: number, reader: Reader, open: RangeOpener, from = 0): Promise<Source> {
    // A fetch this reader started is used even when it finished meanwhile (and was not stored).
    const mine = reader.fetches.get(idx);
    if (mine && !mine.error) {
      this.misses++;
      return { kind: 'fetch', fetch: mine };
    }
    if (!this.live(file.key, idx)) {
      const handle = await this.store.open(file.key, idx, this.chunkLength(file, idx));
      if (handle) {
        this.hits++;
        return { kind: 'disk', handle };
      }
    }
    this.misses++;
    const f = this.live(file.key, idx) ?? this.fetch(file, idx, open, from);
    this.own(reader, idx, f);
    return { kind: 'fetch', fetch: f };
  }

  /** The fetch of a chunk in flight, unless it was cancelled or failed (a new reader starts afresh). */
  private live(key: string, idx: number): ChunkFetch | undefined {
    const f = this.inflight.get(chunkId(key, idx));
    return f && !f.error && !f.abort.signal.aborted ? f : undefined;
  }

  private own(reader: Reader, idx: number, f: ChunkFetch): void {
    if (reader.released) return;
    reader.fetches.get(idx)?.owners.delete(reader);
    reader.fetches.set(idx, f);
    f.owners.add(reader);
  }

  /** The reader is done with chunk idx. */
  private disown(reader: Reader, idx: number): void {
    reader.fetches.get(idx)?.owners.delete(reader);
    reader.fetches.delete(idx);
  }

  /** Lets go of a reader's fetches; when it was cut short, those no other reader uses are cancelled. */
  private release(reader: Reader, aborted: boolean): void {
    if (reader.released) return;
    reader.released = true;
    for (const f of reader.fetches.values()) {
      f.owners.delete(reader);
      if (aborted && f.owners.size === 0 && !f.done && !f.error) f.abort.abort();
    }
    reader.fetches.clear();
  }

  /**
   * Starts fetching chunk idx. `from` is where the reader that needs it begins (chunk-relative): at
   * least SPLIT_MIN into the chunk, the bytes from there on are asked for first and the bytes before
   * in a second request beside it, so a seek waits one round trip, not for the whole chunk before it.
   */
  private fetch(file: File, idx: number, open: RangeOpener, from = 0): ChunkFetch {
    const id = chunkId(file.key, idx);
    const f = new ChunkFetch(idx, this.chunkLength(file, idx), from >= SPLIT_MIN ? from : 0);
    this.inflight.set(id, f);
    const forget = () => {
      if (this.inflight.get(id) === f) this.inflight.delete(id);
    };
    f.abort.signal.addEventListener('abort', forget, { once: true });
    const base = idx * this.chunkSize;
    const pump = async (part: FetchPart) => {
      const range = { start: base + part.start, end: base + part.end - 1 };
      const body = await open(range, f.abort.signal, (md5) => this.contentMd5.set(file.key, md5));
      if (part === f.firstNeeded) f.markOpened();
      try {
        for await (const piece of body as AsyncIterable<Buffer>) {
          f.append(part, piece);
          this.fetched += piece.length;
        }
      } finally {
        body.destroy();
      }
      f.finishPart(part);
    };
    void (async () => {
      try {
        // The part the reader waits for is asked for first.
        await Promise.all([...f.parts].reverse().map(pump));
      } catch (e) {
        forget();
        const err = f.abort.signal.aborted
          ? new DriveError('ABORTED', `read ${file.path}: read-ahead cancelled`)
          : isDriveError(e)
            ? e
            : new DriveError('UPSTREAM', `read ${file.path}: ${(e as Error).message}`, e);
        if (!f.abort.signal.aborted) this.log.warn({ err, idx }, 'cache: a chunk fetch failed');
        f.fail(err);
        f.abort.abort(); // the other part, if still running
        return;
      }
      // Kept in flight (served from memory) until it is on disk, so no reader fetches it twice.
      const write = this.store.put(file.key, idx, f.buf, file.path).finally(() => {
        forget();
        this.writes.delete(write);
      });
      this.writes.add(write);
    })();
    return f;
  }
}

function chunkId(key: string, idx: number): string {
  return `${key}.${idx}`;
}
