// Request parameters from the query string and the body (form-urlencoded or multipart), merged as
// TeraBox accepts them: a body field wins over the same query field. Bodies are size-limited.

import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** A body over this is refused with errno 2 (a 2048-part block list is ~70 KB). */
export const MAX_FORM_BYTES = 8 * 1024 * 1024;

export class BadRequest extends Error {}

export class Params {
  constructor(
    private readonly query: URLSearchParams,
    private readonly body: Map<string, string>,
  ) {}

  get(name: string): string | undefined {
    return this.body.get(name) ?? this.query.get(name) ?? undefined;
  }

  /** An integer parameter; `fallback` when absent or empty, BadRequest when malformed or not exact. */
  int(name: string, fallback?: number): number | undefined {
    const v = this.get(name);
    if (v === undefined || v === '') return fallback;
    // Past 2^53 the number is no longer the one sent (and SQLite refuses it as a LIMIT or OFFSET).
    const n = Number(v.trim());
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new BadRequest(`${name} is not an integer`);
    return n;
  }

  /** A JSON parameter; BadRequest when present but malformed. */
  json(name: string): unknown {
    const v = this.get(name);
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v);
    } catch {
      throw new BadRequest(`${name} is not valid JSON`);
    }
  }
}

async function readForm(body: Readable): Promise<Map<string, string>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Past the limit the rest is read and dropped, so the client still gets the errno answer.
    if (size <= MAX_FORM_BYTES) chunks.push(chunk);
  }
  if (size > MAX_FORM_BYTES) throw new BadRequest('request body too large');
  return new Map(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

function readMultipart(headers: IncomingHttpHeaders, body: Readable): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const fields = new Map<string, string>();
    let size = 0;
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers, limits: { fieldSize: MAX_FORM_BYTES, fields: 1000 } });
    } catch (e) {
      reject(new BadRequest(`bad multipart body: ${(e as Error).message}`));
      return;
    }
    bb.on('field', (name, value, info) => {
      // The limit is on the whole body, as for a form: fields each under it could add up to any size.
      size += Buffer.byteLength(name) + Buffer.byteLength(value);
      if (info.valueTruncated) reject(new BadRequest(`field ${name} too large`));
      else if (size > MAX_FORM_BYTES) reject(new BadRequest('request body too large'));
      else fields.set(name, value);
    });
    // File parts are not parameters; drain them.
    bb.on('file', (_name, stream) => stream.resume());
    bb.on('error', (e) => reject(new BadRequest(`bad multipart body: ${(e as Error).message}`)));
    bb.on('close', () => resolve(fields));
    body.on('error', reject);
    body.pipe(bb);
  });
}

export async function readParams(query: URLSearchParams, headers: IncomingHttpHeaders, body: Readable | null): Promise<Params> {
  const type = (headers['content-type'] ?? '').toLowerCase();
  let fields = new Map<string, string>();
  if (body) fields = type.startsWith('multipart/form-data') ? await readMultipart(headers, body) : await readForm(body);
  return new Params(query, fields);
}
