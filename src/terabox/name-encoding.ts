// Name mapping between the drive's names and TeraBox's: TeraBox refuses some characters in names
// (errno -7), so in "fullwidth" mode each of them travels as a look-alike (`:` as `：`, a trailing `.`
// as `．`, a control character as its U+24xx symbol) and is turned back on the way in. A look-alike
// that is really in a user's name is escaped with U+201B `‛` so the mapping stays reversible. In
// "refuse" mode names pass unchanged and are refused (400 upstairs) by the client's own check, and
// here for a trailing dot or space or a leading space.
// Both modes refuse, before any request, names over 255 UTF-8 bytes and paths over 1000 characters
// as they would travel.

import type {
  AccountInfo,
  ByteRange,
  CreateRequest,
  DownloadLink,
  DownloadResponse,
  MoveItem,
  PrecreateRequest,
  PrecreateResult,
  Quota,
  RapidUploadRequest,
  RemoteEntry,
  TeraBoxApi,
  TransferOptions,
  UploadPartRequest,
  UploadPartResult,
} from './api.js';
import { TeraBoxError } from './errors.js';
import { MAX_NAME_BYTES } from './paths.js';

export type NameEncoding = 'fullwidth' | 'refuse';

/** Longest remote path TeraBox takes, in characters (Baidu's documented rule). */
export const MAX_PATH_CHARS = 1000;

/** The escape mark: `‛` before a look-alike means "this one is real". */
const QUOTE = '\u201b';
/** SYMBOL FOR SPACE, for a leading or trailing space. */
const SPACE_SYMBOL = '\u2420';
/** FULLWIDTH FULL STOP, for a trailing dot. */
const FULL_STOP = '\uff0e';

/** The characters TeraBox refuses anywhere in a name (Baidu's list, which the emulator enforces too). */
export const ALWAYS_MAPPED = '\\:*?"<>|';

/** Printable ASCII maps to its full-width form (U+FF01..U+FF5E); controls and DEL to their symbols. */
function lookAlike(c: string): string {
  const code = c.codePointAt(0)!;
  if (code >= 0x21 && code <= 0x7e) return String.fromCodePoint(code + 0xfee0);
  if (code >= 0x01 && code <= 0x1f) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  throw new Error(`no look-alike for ${JSON.stringify(c)}`);
}

/** A reversible name codec for one set of refused characters. */
export class NameCodec {
  /** Original character → look-alike, and back. */
  private readonly toLook = new Map<string, string>();
  private readonly fromLook = new Map<string, string>();

  /**
   * `refused`: characters to map wherever they appear; printable ASCII ones (the configured
   * `terabox.invalidNameChars`) join the fixed set; others are left to the client's check.
   */
  constructor(refused: string = ALWAYS_MAPPED) {
    const chars = new Set([...ALWAYS_MAPPED, ...refused]);
    for (let c = 1; c <= 0x1f; c++) chars.add(String.fromCharCode(c));
    chars.add('\x7f');
    for (const c of chars) {
      const code = c.codePointAt(0)!;
      if (code === 0x2f || code === 0x20 || code > 0x7f || code === 0) continue; // `/` separates; space is positional
      const look = lookAlike(c);
      this.toLook.set(c, look);
      this.fromLook.set(look, c);
    }
  }

  /** True when `c` at index `i` of an encoded name would be decoded (so a real one must be escaped). */
  private decodesAt(c: string, i: number, length: number): boolean {
    if (c === QUOTE || this.fromLook.has(c)) return true;
    if (c === SPACE_SYMBOL) return i === 0 || i === length - 1;
    if (c === FULL_STOP) return i === length - 1 && length > 1;
    return false;
  }

  /** One name (no `/`) as it travels to TeraBox. */
  encodeName(name: string): string {
    const chars = [...name];
    const n = chars.length;
    const out: string[] = chars.map((c, i) => {
      const mapped = this.toLook.get(c);
      if (mapped !== undefined) return mapped;
      if (c === ' ' && (i === 0 || i === n - 1)) return SPACE_SYMBOL;
      if (c === '.' && i === n - 1 && n > 1) return FULL_STOP;
      if (c !== QUOTE && this.decodesAt(c, i, n)) return QUOTE + c;
      return c;
    });
    // A real `‛` is doubled only where the decoder would read it as an escape: before a token that
    // starts with something decodable. Elsewhere it stays single, so names made by other TeraBox
    // clients come back unchanged.
    for (let i = 0; i < n; i++) {
      if (chars[i] !== QUOTE) continue;
      const next = out[i + 1];
      if (next !== undefined && this.escapable(next[0]!)) out[i] = QUOTE + QUOTE;
    }
    return out.join('');
  }

  /** What may follow `‛` as an escape. */
  private escapable(c: string): boolean {
    return c === QUOTE || c === SPACE_SYMBOL || c === FULL_STOP || this.fromLook.has(c);
  }

  /** A name from TeraBox as the drive shows it. */
  decodeName(name: string): string {
    const chars = [...name];
    const n = chars.length;
    let out = '';
    for (let i = 0; i < n; i++) {
      const c = chars[i]!;
      if (c === QUOTE && i + 1 < n && this.escapable(chars[i + 1]!)) {
        out += chars[++i];
        continue;
      }
      const back = this.fromLook.get(c);
      if (back !== undefined) out += back;
      else if (c === SPACE_SYMBOL && (i === 0 || i === n - 1)) out += ' ';
      else if (c === FULL_STOP && i === n - 1 && n > 1) out += '.';
      else out += c;
    }
    return out;
  }

  encodePath(path: string): string {
    return path
      .split('/')
      .map((s) => (s === '' ? s : this.encodeName(s)))
      .join('/');
  }

  decodePath(path: string): string {
    return path
      .split('/')
      .map((s) => (s === '' ? s : this.decodeName(s)))
      .join('/');
  }
}

/** INVALID_NAME, before any request, for names and paths TeraBox cannot hold however they are spelt. */
function assertSizes(original: string, encoded: string): void {
  // The limit comes first in the message: clients that show only a status line cut it short.
  const shown = (s: string) => JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s);
  if (encoded.length > MAX_PATH_CHARS) {
    throw new TeraBoxError(
      `a path of ${encoded.length} characters (as stored on TeraBox) is over TeraBox's limit of ${MAX_PATH_CHARS}: ${shown(original)}`,
      { code: 'INVALID_NAME', endpoint: 'name check' },
    );
  }
  const segments = encoded.split('/');
  const originals = original.split('/');
  for (let i = 0; i < segments.length; i++) {
    const bytes = Buffer.byteLength(segments[i]!);
    if (bytes > MAX_NAME_BYTES) {
      throw new TeraBoxError(
        `a name of ${bytes} bytes (UTF-8, as stored on TeraBox) is over TeraBox's limit of ${MAX_NAME_BYTES}: ${shown(originals[i] ?? segments[i]!)}`,
        { code: 'INVALID_NAME', endpoint: 'name check' },
      );
    }
  }
}

/**
 * INVALID_NAME, before any request, for a name TeraBox refuses for where a character sits: a trailing
 * dot or space, or a leading space (refuse mode; fullwidth maps them). The characters refused
 * anywhere are the client's own check.
 */
function assertPlaces(path: string): void {
  for (const name of path.split('/')) {
    if (name === '') continue;
    const why = name.endsWith('.')
      ? 'ends with a dot'
      : name.endsWith(' ')
        ? 'ends with a space'
        : name.startsWith(' ')
          ? 'starts with a space'
          : null;
    if (why) {
      throw new TeraBoxError(`the name ${JSON.stringify(name)} ${why}, which TeraBox does not allow`, {
        code: 'INVALID_NAME',
        endpoint: 'name check',
      });
    }
  }
}

/** The drive's TeraBoxApi seen through a name codec (or only the size checks, in refuse mode). */
class NameMappingApi implements TeraBoxApi {
  constructor(
    private readonly inner: TeraBoxApi,
    private readonly codec: NameCodec | null,
  ) {}

  private enc(path: string): string {
    return this.codec ? this.codec.encodePath(path) : path;
  }

  private encName(name: string): string {
    return this.codec ? this.codec.encodeName(name) : name;
  }

  private dec<T extends RemoteEntry | null | undefined>(e: T): T {
    if (!e || !this.codec) return e;
    return { ...e, path: this.codec.decodePath(e.path), name: this.codec.decodeName(e.name) };
  }

  account(): Promise<AccountInfo> {
    return this.inner.account();
  }

  quota(): Promise<Quota> {
    return this.inner.quota();
  }

  checkPath(path: string): void {
    const encoded = this.enc(path);
    assertSizes(path, encoded);
    if (!this.codec) assertPlaces(path);
    this.inner.checkPath(encoded);
  }

  async list(dir: string): Promise<RemoteEntry[]> {
    return (await this.inner.list(this.enc(dir))).map((e) => this.dec(e));
  }

  async stat(paths: string[]): Promise<(RemoteEntry | null)[]> {
    return (await this.inner.stat(paths.map((p) => this.enc(p)))).map((e) => this.dec(e));
  }

  async mkdir(path: string): Promise<RemoteEntry> {
    return this.dec(await this.inner.mkdir(this.enc(path)));
  }

  delete(paths: string[]): Promise<void> {
    return this.inner.delete(paths.map((p) => this.enc(p)));
  }

  private items(items: MoveItem[]): MoveItem[] {
    return items.map((it) => ({ path: this.enc(it.path), dest: this.enc(it.dest), newname: this.encName(it.newname) }));
  }

  move(items: MoveItem[], opts?: TransferOptions): Promise<void> {
    return this.inner.move(this.items(items), opts);
  }

  copy(items: MoveItem[], opts?: TransferOptions): Promise<void> {
    return this.inner.copy(this.items(items), opts);
  }

  rename(items: { path: string; newname: string }[]): Promise<void> {
    return this.inner.rename(items.map((it) => ({ path: this.enc(it.path), newname: this.encName(it.newname) })));
  }

  async precreate(req: PrecreateRequest): Promise<PrecreateResult> {
    const result = await this.inner.precreate({ ...req, path: this.enc(req.path) });
    return result.entry ? { ...result, entry: this.dec(result.entry) } : result;
  }

  uploadPart(req: UploadPartRequest): Promise<UploadPartResult> {
    return this.inner.uploadPart({ ...req, path: this.enc(req.path) });
  }

  async create(req: CreateRequest): Promise<RemoteEntry> {
    return this.dec(await this.inner.create({ ...req, path: this.enc(req.path) }));
  }

  async rapidUpload(req: RapidUploadRequest): Promise<RemoteEntry | null> {
    return this.dec(await this.inner.rapidUpload({ ...req, path: this.enc(req.path) }));
  }

  downloadLink(entry: Pick<RemoteEntry, 'fsId' | 'path'>): Promise<DownloadLink> {
    return this.inner.downloadLink({ fsId: entry.fsId, path: this.enc(entry.path) });
  }

  download(link: DownloadLink, range?: ByteRange, signal?: AbortSignal): Promise<DownloadResponse> {
    return this.inner.download(link, range, signal);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Wraps a TeraBox client so names the drive accepts reach TeraBox in a form it takes. `refused` is
 * the configured `terabox.invalidNameChars` (its printable ASCII characters are mapped too).
 */
export function withNameEncoding(api: TeraBoxApi, mode: NameEncoding, refused?: string): TeraBoxApi {
  return new NameMappingApi(api, mode === 'fullwidth' ? new NameCodec(refused) : null);
}
