// An in-memory Drive with the contract's semantics and error codes (test/drive/contract.test.ts runs
// the same suite against it and TeraBoxDrive), recording what it was asked (read ranges, write
// options) so tests can check what the WebDAV layer passed down.

import { Readable } from 'node:stream';
import mime from 'mime-types';
import {
  DriveError,
  type ByteRange,
  type Drive,
  type DriveErrorCode,
  type Entry,
  type Quota,
  type ReadResult,
  type WriteOptions,
  type WriteResult,
} from '../../src/drive/types.js';
import { isWithin as within, isStrictlyUnder, parentOf } from '../../src/util/paths.js';

interface Node {
  isDir: boolean;
  data: Buffer;
  mtime: Date;
  ctime: Date;
  version: number;
}

export interface MemoryDriveOptions {
  /** Per-file size limit (TOO_LARGE). */
  maxFileSize?: number;
  /** Total bytes the account holds (QUOTA). */
  capacity?: number;
}

type Method = 'stat' | 'list' | 'read' | 'write' | 'mkdir' | 'remove' | 'move' | 'copy' | 'quota';

export class MemoryDrive implements Drive {
  /** Every read, with the range it asked for. */
  readonly reads: { path: string; range?: ByteRange }[] = [];
  /** Every write, with the options it got. */
  readonly writes: { path: string; opts: WriteOptions }[] = [];
  /** Every call, by method name. */
  readonly calls: Method[] = [];
  /** When set, a write holds its commit until this resolves (to see that PUT answers after commit). */
  commitGate?: Promise<void>;
  /** When set, a write waits for this before reading its body (an upload queued behind others). */
  startGate?: Promise<void>;
  private readonly nodes = new Map<string, Node>();
  private readonly failures = new Map<Method, DriveError>();
  private readonly opts: MemoryDriveOptions;
  private clock = 0;

  constructor(opts: MemoryDriveOptions = {}) {
    this.opts = opts;
    this.nodes.set('/', this.newNode(true, Buffer.alloc(0)));
  }

  /** Makes the next call of `method` fail with `code`. */
  failNext(method: Method, code: DriveErrorCode, message = `simulated ${code}`): void {
    this.failures.set(method, new DriveError(code, message));
  }

  /** Test setup: stores a file directly (parents are created). */
  putFile(path: string, data: Buffer | string): void {
    this.ensureDirs(parentOf(path));
    this.nodes.set(path, this.newNode(false, Buffer.from(data)));
  }

  /** Test inspection: a file's bytes, or undefined. */
  content(path: string): Buffer | undefined {
    const n = this.nodes.get(path);
    return n && !n.isDir ? n.data : undefined;
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  private newNode(isDir: boolean, data: Buffer): Node {
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    return { isDir, data, mtime: now, ctime: now, version: ++this.clock };
  }

  private ensureDirs(path: string): void {
    if (path === '/' || this.nodes.get(path)?.isDir) return;
    this.ensureDirs(parentOf(path));
    this.nodes.set(path, this.newNode(true, Buffer.alloc(0)));
  }

  private begin(method: Method): void {
    this.calls.push(method);
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private entry(path: string, n: Node): Entry {
    const name = path === '/' ? '' : path.slice(path.lastIndexOf('/') + 1);
    return {
      path,
      name,
      isDir: n.isDir,
      size: n.isDir ? 0 : n.data.length,
      mtime: n.mtime,
      ctime: n.ctime,
      etag: `"${n.version.toString(16)}-${n.data.length.toString(16)}"`,
      contentType: n.isDir ? undefined : mime.lookup(name) || 'application/octet-stream',
    };
  }

  private checkName(path: string): void {
    const name = path.slice(path.lastIndexOf('/') + 1);
    // eslint-disable-next-line no-control-regex
    if (name === '' || name.length > 255 || /[\\\u0000-\u001f]/.test(name)) throw new DriveError('INVALID_NAME', `Invalid name: ${name}`);
  }

  /** The parent must be an existing collection. */
  private checkParent(path: string): void {
    const parent = parentOf(path);
    const node = this.nodes.get(parent);
    if (!node) throw new DriveError('PARENT_MISSING', `${parent} does not exist`);
    if (!node.isDir) throw new DriveError('NOT_A_DIRECTORY', `${parent} is a file`);
  }

  private used(): number {
    let total = 0;
    for (const n of this.nodes.values()) total += n.data.length;
    return total;
  }

  async stat(path: string): Promise<Entry | null> {
    this.begin('stat');
    const n = this.nodes.get(path);
    return n ? this.entry(path, n) : null;
  }

  async list(path: string): Promise<Entry[]> {
    this.begin('list');
    const n = this.nodes.get(path);
    if (!n) throw new DriveError('NOT_FOUND', `${path} does not exist`);
    if (!n.isDir) throw new DriveError('NOT_A_DIRECTORY', `${path} is a file`);
    const out: Entry[] = [];
    for (const [p, child] of this.nodes) if (p !== '/' && parentOf(p) === path) out.push(this.entry(p, child));
    return out;
  }

  async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<ReadResult> {
    this.begin('read');
    this.reads.push({ path, range });
    const n = this.nodes.get(path);
    if (!n) throw new DriveError('NOT_FOUND', `${path} does not exist`);
    if (n.isDir) throw new DriveError('IS_A_DIRECTORY', `${path} is a collection`);
    if (signal?.aborted) throw new DriveError('ABORTED', 'client went away');
    const bytes = range ? n.data.subarray(range.start, range.end + 1) : n.data;
    // Several chunks, so streaming and backpressure are exercised.
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 64 * 1024) chunks.push(bytes.subarray(i, i + 64 * 1024));
    return { entry: this.entry(path, n), stream: Readable.from(chunks) };
  }

  async write(path: string, body: Readable, opts: WriteOptions = {}): Promise<WriteResult> {
    this.begin('write');
    this.writes.push({ path, opts });
    if (path === '/') throw new DriveError('IS_A_DIRECTORY', 'the root is a collection');
    this.checkName(path);
    this.checkParent(path);
    if (this.nodes.get(path)?.isDir) throw new DriveError('IS_A_DIRECTORY', `${path} is a collection`);
    const max = this.opts.maxFileSize ?? Infinity;
    const available = (this.opts.capacity ?? Infinity) - this.used();
    // Known sizes are refused before a byte is read, as the real drive does.
    if (opts.size !== undefined && opts.size > max) throw new DriveError('TOO_LARGE', `${opts.size} bytes is over the ${max}-byte limit`);
    if (opts.size !== undefined && opts.size > available) throw new DriveError('QUOTA', 'Not enough space');
    await this.startGate;
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (opts.signal?.aborted) throw new DriveError('ABORTED', 'client went away');
        total += chunk.length;
        if (total > max) throw new DriveError('TOO_LARGE', `over the ${max}-byte limit`);
        chunks.push(chunk);
      }
    } catch (e) {
      if (e instanceof DriveError) throw e;
      throw new DriveError('ABORTED', 'the request body failed', e);
    }
    if (opts.signal?.aborted) throw new DriveError('ABORTED', 'client went away');
    if (total > available) throw new DriveError('QUOTA', 'Not enough space');
    await this.commitGate;
    // The parent may have gone while the body was read.
    this.checkParent(path);
    const created = !this.nodes.has(path);
    const previous = this.nodes.get(path);
    const node = this.newNode(false, Buffer.concat(chunks, total));
    if (previous) node.ctime = previous.ctime;
    this.nodes.set(path, node);
    return { entry: this.entry(path, node), created };
  }

  async mkdir(path: string): Promise<Entry> {
    this.begin('mkdir');
    if (this.nodes.has(path)) throw new DriveError('EXISTS', `${path} exists`);
    this.checkName(path);
    this.checkParent(path);
    const node = this.newNode(true, Buffer.alloc(0));
    this.nodes.set(path, node);
    return this.entry(path, node);
  }

  async remove(path: string): Promise<void> {
    this.begin('remove');
    if (!this.nodes.has(path)) throw new DriveError('NOT_FOUND', `${path} does not exist`);
    if (path === '/') throw new DriveError('READ_ONLY', 'the root cannot be removed');
    for (const p of [...this.nodes.keys()]) if (within(p, path)) this.nodes.delete(p);
  }

  /** Common checks of move and copy; returns whether the destination existed. */
  private prepareTransfer(from: string, to: string, overwrite: boolean): boolean {
    if (from === to) throw new DriveError('SAME_PATH', 'source and destination are the same');
    if (to === '/') throw new DriveError('EXISTS', 'the root exists and cannot be replaced');
    const source = this.nodes.get(from);
    if (!source) throw new DriveError('NOT_FOUND', `${from} does not exist`);
    if (source.isDir && isStrictlyUnder(to, from)) throw new DriveError('INTO_ITSELF', `${to} is inside ${from}`);
    this.checkName(to);
    this.checkParent(to);
    const exists = this.nodes.has(to);
    if (exists && !overwrite) throw new DriveError('EXISTS', `${to} exists`);
    if (exists && isStrictlyUnder(from, to)) throw new DriveError('INTO_ITSELF', `${from} is inside ${to}, which it would replace`);
    if (exists) for (const p of [...this.nodes.keys()]) if (within(p, to)) this.nodes.delete(p);
    return exists;
  }

  async move(from: string, to: string, opts: { overwrite: boolean }): Promise<{ created: boolean }> {
    this.begin('move');
    const existed = this.prepareTransfer(from, to, opts.overwrite);
    for (const [p, n] of [...this.nodes]) {
      if (!within(p, from)) continue;
      this.nodes.delete(p);
      this.nodes.set(to + p.slice(from.length), n);
    }
    return { created: !existed };
  }

  async copy(from: string, to: string, opts: { overwrite: boolean; depth: 0 | 'infinity' }): Promise<{ created: boolean }> {
    this.begin('copy');
    const existed = this.prepareTransfer(from, to, opts.overwrite);
    for (const [p, n] of [...this.nodes]) {
      if (!within(p, from) || (opts.depth === 0 && p !== from)) continue;
      this.nodes.set(to + p.slice(from.length), { ...n, version: ++this.clock });
    }
    return { created: !existed };
  }

  async quota(): Promise<Quota> {
    this.begin('quota');
    const used = this.used();
    return { used, available: Math.max(0, (this.opts.capacity ?? 10 * 1024 ** 4) - used) };
  }

  async close(): Promise<void> {}
}
