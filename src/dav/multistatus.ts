// The 207 Multi-Status body (RFC 4918 §13): responses with propstats ordered 200 first, since some
// clients (rclone) judge a resource by the first status they see.

import { STATUS_CODES } from 'node:http';
import { XML_DECLARATION, escapeText } from './xml.js';

function statusLine(status: number): string {
  return `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

/** Rendered property elements grouped under one status. */
export interface Propstat {
  status: number;
  props: string[];
  /** A DAV:error element body for this propstat's status (e.g. `<D:cannot-modify-protected-property/>`). */
  error?: string;
}

export function propstatResponse(href: string, propstats: Propstat[]): string {
  const ordered = [...propstats]
    .filter((p) => p.props.length > 0)
    .sort((a, b) => (a.status === 200 ? -1 : b.status === 200 ? 1 : a.status - b.status));
  const body = ordered
    .map(
      (p) =>
        `<D:propstat><D:prop>${p.props.join('')}</D:prop><D:status>${statusLine(p.status)}</D:status>` +
        (p.error ? `<D:error>${p.error}</D:error>` : '') +
        '</D:propstat>',
    )
    .join('');
  // A response needs a propstat or a status (RFC 4918 §14.24); an empty prop request gets the latter.
  const content = body === '' ? `<D:status>${statusLine(200)}</D:status>` : body;
  return `<D:response><D:href>${escapeText(href)}</D:href>${content}</D:response>`;
}

export function multistatus(responses: string[]): string {
  return `${XML_DECLARATION}<D:multistatus xmlns:D="DAV:">${responses.join('')}</D:multistatus>`;
}
