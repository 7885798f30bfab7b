// The upload calls (protocol §2.8): locateupload, precreate, superfile2, create, rapidupload. The
// endpoint style picks `/api/precreate|create` (live clients) or the seed's `/rest/2.0/xpan/file`.

import { FormData } from 'undici';
import type {
  CreateRequest,
  PrecreateRequest,
  PrecreateResult,
  RapidUploadRequest,
  RemoteEntry,
  UploadPartRequest,
  UploadPartResult,
} from './api.js';
import type { CallRequest } from './caller.js';
import type { ClientContext } from './context.js';
import { entryFromCreate, entryFromItem } from './entries.js';
import { commitPolicy, ENDPOINTS, type Endpoint } from './endpoints.js';
import { TeraBoxError } from './errors.js';
import { stat } from './file-calls.js';
import type { Params } from './params.js';
import { assertRemotePath, parentOf } from './paths.js';
import {
  Errno,
  type WireCreateResponse,
  type WireLocateUploadResponse,
  type WirePrecreateResponse,
  type WireRapidUploadResponse,
  type WireSuperfile2Response,
} from './wire.js';

const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$/i;
const MD5 = /^[0-9a-f]{32}$/i;

function bad(endpoint: string, message: string, requestId?: string): TeraBoxError {
  return new TeraBoxError(`${endpoint}: ${message}`, { code: 'UNKNOWN', endpoint, requestId });
}

function invalid(endpoint: string, message: string): TeraBoxError {
  return new TeraBoxError(`${endpoint}: ${message}`, { code: 'BAD_REQUEST', endpoint });
}

/** Parent with a trailing slash, as rclone sends `target_path`. */
function targetPath(path: string): string {
  const parent = parentOf(path);
  return parent.endsWith('/') ? parent : `${parent}/`;
}

/** `api` style: the endpoint itself; `xpan` style: the seed's method form with bdstoken. */
function styled(calls: ClientContext, endpoint: Endpoint, method: string): { endpoint: Endpoint; req: CallRequest } {
  if (calls.opts.apiStyle === 'xpan') return { endpoint: ENDPOINTS.xpanFile, req: { query: { method }, bdstoken: true } };
  return { endpoint, req: {} };
}

/** `GET <base>/rest/2.0/pcs/file?method=locateupload` → the bare upload host (§2.8.1). */
export async function locateUpload(calls: ClientContext): Promise<string> {
  const endpoint = ENDPOINTS.locateUpload.path;
  const { body, requestId } = await calls.caller.call<WireLocateUploadResponse>(ENDPOINTS.locateUpload, {
    query: { method: 'locateupload' },
  });
  const host =
    typeof body.host === 'string'
      ? body.host
          .trim()
          .replace(/^[a-z]+:\/\//i, '')
          .replace(/\/+$/, '')
      : '';
  if (!HOST.test(host)) throw bad(endpoint, 'answer has no usable upload host', requestId);
  return qualifyUploadHost(host, calls.caller.session.baseUrl);
}

/**
 * `dm`-region accounts are sent to upload clusters named like `dm1` (docs/terabox-protocol.md §7); a
 * bare name is taken to live beside the web host (`dm1` on www.terabox.com → dm1.terabox.com). Our
 * reading: no source shows a bare answer's full host.
 */
export function qualifyUploadHost(host: string, baseUrl: string): string {
  if (host.includes('.') || host.includes(':') || host === 'localhost') return host;
  const labels = new URL(baseUrl).hostname.split('.');
  if (labels.length < 2 || labels.every((l) => /^\d+$/.test(l))) return host;
  return [host, ...(labels.length > 2 ? labels.slice(1) : labels)].join('.');
}

/**
 * The configured upload host, else the session's locateupload answer. Parts sent in parallel on a
 * cold session share one locateupload call; a failed one is forgotten so the next part asks again.
 */
async function uploadOrigin(calls: ClientContext): Promise<string> {
  const session = calls.caller.session;
  let host = calls.opts.uploadHost;
  if (host === undefined) {
    session.uploadHost ??= locateUpload(calls);
    const located = session.uploadHost;
    try {
      host = await located;
      if (session.uploadHost === located) session.uploadHostName = host;
    } catch (e) {
      if (session.uploadHost === located) session.uploadHost = undefined;
      throw e;
    }
  }
  return `${new URL(session.baseUrl).protocol}//${host}`;
}

/** Checks the file precreate and create describe and gives the form fields both send for it. */
function fileFields(endpoint: string, req: PrecreateRequest | CreateRequest): Params {
  assertRemotePath(req.path, endpoint);
  if (!Array.isArray(req.blockList) || req.blockList.length === 0) throw invalid(endpoint, 'blockList is empty');
  return {
    path: req.path,
    size: req.size,
    target_path: targetPath(req.path),
    block_list: JSON.stringify(req.blockList),
    local_mtime: req.localMtime,
  };
}

export async function precreate(calls: ClientContext, req: PrecreateRequest): Promise<PrecreateResult> {
  const { endpoint, req: style } = styled(calls, ENDPOINTS.precreate, 'precreate');
  const form: Params = {
    ...fileFields(endpoint.path, req),
    autoinit: 1,
    file_limit_switch_v34: 'true',
    rtype: req.rtype,
    uploadid: req.uploadId,
    'content-md5': req.contentMd5,
    'slice-md5': req.sliceMd5,
    'content-crc32': req.contentCrc32,
  };
  const { body, requestId } = await calls.caller.call<WirePrecreateResponse>(endpoint, { ...style, form, retry: 'idempotent' });
  if (typeof body.uploadid === 'string') rememberUploadSign(calls, body.uploadid, body as unknown as Record<string, unknown>);
  const returnType = Number(body.return_type ?? 1);
  const entry = returnType === 2 && body.info ? entryFromItem(body.info) : undefined;
  if (typeof body.uploadid !== 'string' && entry === undefined) throw bad(endpoint.path, 'answer has no uploadid', requestId);
  return {
    uploadId: body.uploadid ?? '',
    returnType,
    // Empty when the server did not say which parts it needs.
    needed: Array.isArray(body.block_list) ? body.block_list.map(Number).filter((n) => Number.isInteger(n) && n >= 0) : [],
    entry,
  };
}

/** Most upload sessions whose uploadsign is kept (the oldest are forgotten first). */
const MAX_SIGNS = 1000;
/** Fields of precreate's answer that superfile2 sends back when present (some accounts need them, §7). */
const UPLOAD_SIGN_FIELDS = ['uploadsign', 'upload_sign', 'uploadtoken', 'upload_token'] as const;

/** Keeps the upload sign and token precreate handed out for this upload id, for its parts. */
function rememberUploadSign(calls: ClientContext, uploadId: string, body: Record<string, unknown>): void {
  const signs = calls.caller.session.uploadSigns;
  const found: Record<string, string> = {};
  for (const f of UPLOAD_SIGN_FIELDS) {
    const v = body[f];
    if ((typeof v === 'string' && v !== '') || typeof v === 'number') found[f] = String(v);
  }
  signs.delete(uploadId);
  if (Object.keys(found).length === 0) return;
  signs.set(uploadId, JSON.stringify(found));
  while (signs.size > MAX_SIGNS) signs.delete(signs.keys().next().value!);
}

function uploadSignQuery(calls: ClientContext, uploadId: string): Record<string, string | number> {
  const known = calls.caller.session.uploadSigns.get(uploadId);
  // Without one, `uploadsign=0` as rclone and the 2021 capture send.
  return known ? (JSON.parse(known) as Record<string, string>) : { uploadsign: 0 };
}

/**
 * Sends one part to superfile2 as multipart field `file` (filename `blob`). The Blob is streamed: undici
 * encodes FormData by yielding each Blob's own stream(), so a file-backed Blob is read from disk as
 * the socket drains. The returned md5 is the server's; comparing it is the uploader's job.
 */
export async function uploadPart(calls: ClientContext, req: UploadPartRequest): Promise<UploadPartResult> {
  const endpoint = ENDPOINTS.superfile2.path;
  assertRemotePath(req.path, endpoint);
  if (!Number.isInteger(req.partseq) || req.partseq < 0) throw invalid(endpoint, 'partseq must be a non-negative integer');
  if (typeof req.uploadId !== 'string' || req.uploadId === '') throw invalid(endpoint, 'uploadId is empty');
  const origin = await uploadOrigin(calls);
  const { body, requestId } = await calls.caller.call<WireSuperfile2Response>(ENDPOINTS.superfile2, {
    origin,
    query: { method: 'upload', path: req.path, uploadid: req.uploadId, partseq: req.partseq, ...uploadSignQuery(calls, req.uploadId) },
    multipart: () => {
      const form = new FormData();
      form.append('file', req.data.slice(0, req.data.size, 'application/octet-stream'), 'blob');
      return form;
    },
    timeoutMs: calls.opts.timeouts.partMs,
    signal: req.signal,
  });
  if (typeof body.md5 !== 'string' || !MD5.test(body.md5)) throw bad(endpoint, 'answer has no part md5', requestId);
  return { md5: body.md5.toLowerCase() };
}

export async function create(calls: ClientContext, req: CreateRequest): Promise<RemoteEntry> {
  const { endpoint, req: style } = styled(calls, ENDPOINTS.create, 'create');
  const form: Params = { ...fileFields(endpoint.path, req), uploadid: req.uploadId };
  // Most clients put isdir/rtype in the query of /api/create; the seed's xpan form has them in the body.
  const flags = { isdir: 0, rtype: req.rtype };
  const call: CallRequest = calls.opts.apiStyle === 'xpan' ? { ...style, form: { ...form, ...flags } } : { query: flags, form };
  const { body } = await calls.caller.call<WireCreateResponse>(endpoint, { ...call, retry: commitPolicy(req.rtype) });
  calls.caller.session.uploadSigns.delete(req.uploadId);
  return entryFromCreate(body);
}

/** Hash-only upload (terabox-api's form, §2.8.5). null when the server lacks the content (404) or refuses (413). */
export async function rapidUpload(calls: ClientContext, req: RapidUploadRequest): Promise<RemoteEntry | null> {
  const endpoint = ENDPOINTS.rapidUpload.path;
  assertRemotePath(req.path, endpoint);
  const reply = await calls.caller.call<WireRapidUploadResponse & Partial<WireCreateResponse>>(ENDPOINTS.rapidUpload, {
    form: {
      path: req.path,
      'content-length': req.size,
      'content-md5': req.contentMd5,
      'slice-md5': req.sliceMd5,
      'content-crc32': req.contentCrc32,
      block_list: req.blockList ? JSON.stringify(req.blockList) : undefined,
      rtype: req.rtype,
      local_mtime: req.localMtime,
      mode: 1,
    },
    accept: [Errno.RAPID_NOT_FOUND, Errno.RAPID_NOT_ALLOWED],
    retry: commitPolicy(req.rtype),
  });
  if (reply.errno !== 0) return null;
  const { body } = reply;
  if (body.info && typeof body.info.path === 'string') return entryFromItem(body.info);
  if (typeof body.path === 'string' && body.fs_id !== undefined) return entryFromCreate(body as WireCreateResponse);
  // No entry in the answer: read it back. (With rtype 1 a renamed copy would not be found here.)
  const [entry] = await stat(calls, [req.path]);
  if (!entry) throw bad(endpoint, 'rapid upload succeeded but the file is not there', reply.requestId);
  return entry;
}
