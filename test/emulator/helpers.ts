// A raw HTTP client (undici) that speaks the TeraBox wire format directly, the way the protocol is
// documented, without the project's client. The emulator itself comes from test/support (startStack).

import { FormData, request } from 'undici';
import type { EmulatorHandle } from '../../src/emulator/index.js';
import { JS_TOKEN_PREFIX, JS_TOKEN_SUFFIX } from '../../src/terabox/wire.js';
import { md5, SMALL_PART } from '../support/index.js';

/** The emulator's smallest part in these tests (startStack's smallParts). */
export const PART = SMALL_PART;

export function split(data: Buffer, part: number): Buffer[] {
  const parts: Buffer[] = [];
  for (let off = 0; off < data.length; off += part) parts.push(data.subarray(off, off + part));
  return parts;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

type Query = Record<string, string | number | undefined>;

function withQuery(base: string, path: string, query: Query = {}): string {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

async function answer(res: Awaited<ReturnType<typeof request>>): Promise<Answer> {
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, text, json };
}

/** A raw TeraBox web client: cookie + jsToken, form or multipart bodies. */
export class Raw {
  jsToken = '';
  bdstoken = '';

  constructor(
    public base: string,
    public cookie: string,
  ) {}

  async get(path: string, query?: Query, headers: Record<string, string> = {}): Promise<Answer> {
    return answer(await request(withQuery(this.base, path, query), { headers: { cookie: this.cookie, ...headers } }));
  }

  /** POST with a form-urlencoded body. */
  async post(path: string, query: Query, form: Record<string, string | number>): Promise<Answer> {
    const body = new URLSearchParams(Object.entries(form).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return answer(
      await request(withQuery(this.base, path, query), {
        method: 'POST',
        headers: { cookie: this.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      }),
    );
  }

  /** POST with a multipart body (fields, and optionally a `file` part). */
  async multipart(path: string, query: Query, fields: Record<string, string | number>, file?: Buffer, fileField = 'file'): Promise<Answer> {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, String(v));
    if (file) form.append(fileField, new Blob([file]), 'blob');
    return answer(await request(withQuery(this.base, path, query), { method: 'POST', headers: { cookie: this.cookie }, body: form }));
  }

  /** Scrapes the web page for a fresh jsToken and bdstoken, as clients do. */
  async refreshToken(): Promise<string> {
    const page = await this.get('/main');
    const start = page.text.indexOf('`' + JS_TOKEN_PREFIX);
    if (start < 0) throw new Error('no jsToken in page');
    const from = start + 1 + JS_TOKEN_PREFIX.length;
    this.jsToken = page.text.slice(from, page.text.indexOf(JS_TOKEN_SUFFIX + '`', from));
    this.bdstoken = /"bdstoken":"([0-9a-f]{32})"/.exec(page.text)![1]!;
    return this.jsToken;
  }

  precreate(path: string, size: number, blockList: string[], extra: Record<string, string | number> = {}): Promise<Answer> {
    return this.post(
      '/api/precreate',
      { jsToken: this.jsToken },
      { path, size, autoinit: 1, block_list: JSON.stringify(blockList), ...extra },
    );
  }

  superfile2(path: string, uploadid: string, partseq: number, data: Buffer, host = this.base): Promise<Answer> {
    const r = new Raw(host, this.cookie);
    return r.multipart('/rest/2.0/pcs/superfile2', { method: 'upload', app_id: 250528, path, uploadid, partseq, uploadsign: 0 }, {}, data);
  }

  create(
    path: string,
    size: number,
    blockList: string[],
    uploadid: string,
    rtype = 1,
    extra: Record<string, string | number> = {},
  ): Promise<Answer> {
    return this.post('/api/create', { isdir: 0, rtype }, { path, size, uploadid, block_list: JSON.stringify(blockList), ...extra });
  }

  mkdir(path: string, rtype?: number): Promise<Answer> {
    const form: Record<string, string | number> = { path, isdir: 1, block_list: '[]' };
    if (rtype !== undefined) form.rtype = rtype;
    return this.post('/api/create', { a: 'commit' }, form);
  }

  list(dir: string, query: Query = {}): Promise<Answer> {
    return this.get('/api/list', { dir, ...query });
  }

  filemetas(paths: string[], query: Query = {}): Promise<Answer> {
    return this.get('/api/filemetas', { target: JSON.stringify(paths), ...query });
  }

  filemanager(opera: string, filelist: unknown, extra: Record<string, string | number> = {}): Promise<Answer> {
    return this.post('/api/filemanager', { opera, jsToken: this.jsToken }, { filelist: JSON.stringify(filelist), ...extra });
  }

  /** Full upload as the seed describes it: real block list → needed parts → superfile2 → create. */
  async upload(path: string, data: Buffer, part = PART, rtype = 1): Promise<Answer> {
    const parts = split(data, part);
    const list = parts.map((p) => md5(p));
    const pre = await this.precreate(path, data.length, list);
    if (pre.json.errno !== 0) return pre;
    for (const i of pre.json.block_list as number[]) {
      const up = await this.superfile2(path, pre.json.uploadid, i, parts[i]!);
      if (up.status !== 200) return up;
    }
    return this.create(path, data.length, list, pre.json.uploadid, rtype);
  }
}

/** A raw client for the default account with a fresh jsToken. */
export async function rawClient(emu: EmulatorHandle, cookie = emu.defaultCookie, base = emu.url): Promise<Raw> {
  const raw = new Raw(base, cookie);
  await raw.refreshToken();
  return raw;
}
