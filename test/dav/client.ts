// Test-side HTTP: WebDAV requests through undici, raw socket requests for what undici will not send
// (Expect: 100-continue, short bodies, odd request lines), and a reader for 207 Multi-Status bodies.

import net from 'node:net';
import type { Readable } from 'node:stream';
import { getGlobalDispatcher } from 'undici';
import { childElements, findChild, parseXml, type XmlElement } from '../../src/dav/xml.js';
import { at } from '../support/index.js';

export interface DavResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
}

export interface DavRequestOptions {
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
}

/** One request; `path` is sent as written (no URL normalisation), relative to `origin`. */
export async function dav(origin: string, method: string, path: string, opts: DavRequestOptions = {}): Promise<DavResponse> {
  // Dispatcher.request sends `path` as written (the top-level request() would normalise it as a URL).
  const res = await getGlobalDispatcher().request({ origin, path, method, headers: opts.headers, body: opts.body });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString('utf8') };
}

export function header(res: DavResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

export interface RawExchange {
  /** Everything the server sent before the socket closed or the wait ended. */
  text: string;
  /** The server closed the connection. */
  closed: boolean;
}

/**
 * Writes `head` (and later `body`, when given and the server asked for it or `sendBodyAfterMs`
 * passed) on a fresh socket, then collects what comes back for up to `waitMs`.
 */
export function raw(
  port: number,
  head: string,
  opts: { body?: Buffer | string; waitForContinue?: boolean; waitMs?: number } = {},
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let bodySent = false;
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed });
    };
    const timer = setTimeout(() => finish(false), opts.waitMs ?? 2000);
    socket.on('error', reject);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (opts.body !== undefined && !bodySent && opts.waitForContinue && text.startsWith('HTTP/1.1 100')) {
        bodySent = true;
        socket.write(opts.body);
      }
    });
    socket.on('close', () => finish(true));
    socket.write(head.replace(/\n/g, '\r\n') + '\r\n\r\n');
    if (opts.body !== undefined && !opts.waitForContinue) {
      bodySent = true;
      socket.write(opts.body);
    }
  });
}

/** The status codes of the HTTP responses in a raw exchange, in order (100 included). */
export function statusesOf(text: string): number[] {
  return [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
}

export interface PropResult {
  status: number;
  /** By `{ns}name`. */
  props: Map<string, XmlElement>;
}

export interface MultiStatusResponse {
  href: string;
  status?: number;
  propstats: PropResult[];
  error?: XmlElement;
}

function statusCode(el: XmlElement | undefined): number | undefined {
  const line = el?.children.join('') ?? '';
  const m = /HTTP\/\d\.\d (\d{3})/.exec(line);
  return m ? Number(m[1]) : undefined;
}

export function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** Reads a 207 body into responses with their propstats. */
export function parseMultistatus(xml: string): MultiStatusResponse[] {
  const root = parseXml(Buffer.from(xml));
  if (root.ns !== 'DAV:' || root.name !== 'multistatus') throw new Error(`not a multistatus: ${xml.slice(0, 200)}`);
  return childElements(root).map((r) => ({
    href: textOf(findChild(r, 'DAV:', 'href')),
    status: statusCode(findChild(r, 'DAV:', 'status')),
    error: findChild(r, 'DAV:', 'error'),
    propstats: childElements(r)
      .filter((c) => c.name === 'propstat')
      .map((ps) => ({
        status: statusCode(findChild(ps, 'DAV:', 'status')) ?? 0,
        props: new Map(childElements(findChild(ps, 'DAV:', 'prop')!).map((p) => [`{${p.ns}}${p.name}`, p])),
      })),
  }));
}

/** The first response of a 207 body (the only one at Depth 0), failing the test when there is none. */
export function firstResponse(xml: string): MultiStatusResponse {
  return at(parseMultistatus(xml), 0, 'the multistatus');
}

/** The value element of a property in a response, with the status of its propstat. */
export function propOf(r: MultiStatusResponse, key: string): { status: number; el: XmlElement } | undefined {
  for (const ps of r.propstats) {
    const el = ps.props.get(key);
    if (el) return { status: ps.status, el };
  }
  return undefined;
}

export function propfindBody(props: string[], namespaces = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"${namespaces}><D:prop>${props.join('')}</D:prop></D:propfind>`;
}

export function lockBody(scope: 'exclusive' | 'shared', owner = 'tester'): string {
  return (
    '<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="DAV:">' +
    `<D:lockscope><D:${scope}/></D:lockscope><D:locktype><D:write/></D:locktype>` +
    `<D:owner>${owner}</D:owner></D:lockinfo>`
  );
}
