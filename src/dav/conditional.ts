// HTTP conditional requests (RFC 9110 §13): If-Match, If-None-Match, If-Modified-Since and
// If-Unmodified-Since, evaluated in the order §13.2.2 prescribes.

import type { IncomingHttpHeaders } from 'node:http';
import type { Entry } from '../drive/types.js';
import { headerValue } from './headers.js';

export type PreconditionResult = 'proceed' | 304 | 412;

function parseTagList(value: string): string[] {
  return value.match(/(?:W\/)?"[^"]*"|\*/g) ?? [];
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag;
}

/** HTTP dates have one-second resolution; compare at that resolution. */
function seconds(d: Date): number {
  return Math.floor(d.getTime() / 1000);
}

function parseDate(value: string | undefined): number | null {
  if (value === undefined) return null;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : Math.floor(t / 1000);
}

/** `entry` is the target's current state (null when it does not exist). */
export function evaluatePreconditions(headers: IncomingHttpHeaders, method: string, entry: Entry | null): PreconditionResult {
  const safe = method === 'GET' || method === 'HEAD';
  const ifMatch = headers['if-match'];
  if (ifMatch !== undefined) {
    const tags = parseTagList(ifMatch);
    // Strong comparison: a weak tag in If-Match never matches.
    const matched = entry !== null && tags.some((t) => t === '*' || (!t.startsWith('W/') && t === entry.etag));
    if (!matched) return 412;
  } else {
    const since = parseDate(headers['if-unmodified-since']);
    if (since !== null && entry !== null && seconds(entry.mtime) > since) return 412;
  }
  const ifNoneMatch = headers['if-none-match'];
  if (ifNoneMatch !== undefined) {
    const tags = parseTagList(ifNoneMatch);
    const matched = entry !== null && tags.some((t) => t === '*' || opaque(t) === opaque(entry.etag));
    if (matched) return safe ? 304 : 412;
  } else if (safe && entry !== null) {
    const since = parseDate(headers['if-modified-since']);
    if (since !== null && seconds(entry.mtime) <= since) return 304;
  }
  return 'proceed';
}

/** True when the request carries any of the headers evaluatePreconditions looks at. */
export function hasPreconditions(headers: IncomingHttpHeaders): boolean {
  return (
    headers['if-match'] !== undefined ||
    headers['if-none-match'] !== undefined ||
    headers['if-modified-since'] !== undefined ||
    headers['if-unmodified-since'] !== undefined
  );
}

/**
 * If-Range (RFC 9110 §13.1.5): the range applies only when the validator still matches — a strong
 * ETag, or a date equal to Last-Modified.
 */
export function ifRangeAllows(headers: IncomingHttpHeaders, entry: Entry): boolean {
  const value = headerValue(headers, 'if-range');
  if (value === undefined) return true;
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) return !trimmed.startsWith('W/') && trimmed === entry.etag;
  const date = parseDate(trimmed);
  return date !== null && date === seconds(entry.mtime);
}
