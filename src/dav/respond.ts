// Writing responses: plain-text and XML bodies with exact lengths, DAV:error bodies, and closing the
// connection when a request body was left unread.

import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { DavError } from './status.js';
import { davErrorBody } from './xml.js';

/** Up to this many unread body bytes are drained so the connection can be reused; beyond, it is closed. */
const DRAIN_LIMIT = 64 * 1024;

/**
 * A response sent before the request body was read must not leave the connection waiting for (or
 * parsing) that body: small bodies are drained by Node after the response, anything else closes.
 */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (req.complete || res.headersSent) return;
  const length = Number(req.headers['content-length'] ?? NaN);
  const drainable = req.headers['transfer-encoding'] === undefined && Number.isFinite(length) && length <= DRAIN_LIMIT;
  // A client still waiting for 100 Continue sends nothing more, so there is nothing to drain.
  const awaitingContinue = /100-continue/i.test(req.headers.expect ?? '');
  if (!drainable || awaitingContinue) res.setHeader('Connection', 'close');
}

export function sendBody(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  headers: Record<string, string | number> = {},
): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  closeIfBodyUnread(req, res);
  res.writeHead(status, { ...headers, 'Content-Length': buf.length });
  res.end(req.method === 'HEAD' ? undefined : buf);
}

export function sendEmpty(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  closeIfBodyUnread(req, res);
  // 204 and 304 carry no Content-Length of their own (RFC 9110 §8.6).
  const length = status === 204 || status === 304 ? {} : { 'Content-Length': 0 };
  res.writeHead(status, { ...headers, ...length });
  res.end();
}

const XML_CONTENT_TYPE = 'application/xml; charset=utf-8';

export function sendXml(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  xml: string,
  headers: Record<string, string> = {},
): void {
  sendBody(req, res, status, xml, { ...headers, 'Content-Type': XML_CONTENT_TYPE });
}

/** Longest reason phrase sent; the full message is in the body. */
const MAX_REASON = 160;

/**
 * The status line's reason phrase with the error's own words: some clients (GNOME gvfs) show only
 * the reason phrase to the user. A reason phrase is latin1 text without controls (RFC 9112 §4), so
 * anything else becomes `?`.
 */
export function reasonPhrase(status: number, message: string): string {
  const standard = STATUS_CODES[status] ?? 'Error';
  // Long paths are shortened in the middle so the reason itself fits.
  const detail = message
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/\S{41,}/g, (w) => `${w.slice(0, 24)}...${w.slice(-12)}`)
    .trim();
  if (detail === '' || detail === standard) return standard;
  const text = `${standard}: ${detail}`;
  return text.length > MAX_REASON ? text.slice(0, MAX_REASON - 3) + '...' : text;
}

/** An error as its status with a DAV:error body (when it names a condition) or a one-line text. */
export function sendError(req: IncomingMessage, res: ServerResponse, err: DavError, headers: Record<string, string> = {}): void {
  res.statusMessage = reasonPhrase(err.status, err.message);
  if (err.condition) {
    sendXml(req, res, err.status, davErrorBody(err.condition, err.hrefs), headers);
  } else {
    sendBody(req, res, err.status, `${err.message}\n`, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
  }
}
