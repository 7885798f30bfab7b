// The Range request header (RFC 9110 §14.2) for byte ranges of a representation of known size.

import type { ByteRange } from '../drive/types.js';

export type RangeRequest =
  /** No usable Range header: serve the whole representation. */
  | { kind: 'full' }
  | { kind: 'unsatisfiable' }
  /** Ascending, non-overlapping ranges within the size. */
  | { kind: 'partial'; ranges: ByteRange[] };

/** More ranges than this is treated as abuse and the header ignored (RFC 9110 §14.2 allows it). */
const MAX_RANGES = 32;

/**
 * Parses `bytes=…` against `size`. A syntactically invalid header or another unit is ignored (full
 * response), as the RFC requires; overlapping and adjacent ranges are coalesced.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'full' };
  const list = /^\s*bytes\s*=\s*(.+)$/i.exec(header)?.[1];
  if (list === undefined) return { kind: 'full' };
  const specs = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (specs.length === 0 || specs.length > MAX_RANGES) return { kind: 'full' };
  const ranges: ByteRange[] = [];
  for (const spec of specs) {
    const r = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
    if (!r || (r[1] === '' && r[2] === '')) return { kind: 'full' };
    if (r[1] === '') {
      const suffix = Number(r[2]);
      if (suffix > 0 && size > 0) ranges.push({ start: Math.max(0, size - suffix), end: size - 1 });
      continue;
    }
    const start = Number(r[1]);
    const last = r[2] === '' ? Infinity : Number(r[2]);
    if (last < start) return { kind: 'full' };
    if (start < size) ranges.push({ start, end: Math.min(last, size - 1) });
  }
  ranges.sort((a, b) => a.start - b.start);
  const [first, ...rest] = ranges;
  if (first === undefined) return { kind: 'unsatisfiable' };
  let last = first;
  const merged: ByteRange[] = [last];
  for (const r of rest) {
    if (r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else {
      last = { ...r };
      merged.push(last);
    }
  }
  return { kind: 'partial', ranges: merged };
}
