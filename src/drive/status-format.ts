// Plain-text renderings of the status snapshot shared by the status page, the directory index and the
// `status` command: sizes, rates, durations and the one-line upload summary. Pure functions only.

import type { DriveStatus, UploadStatus } from './status.js';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1288490189 → "1.2 GiB"; whole bytes below 1 KiB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  let i = 0;
  let v = n;
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return `${n} B`;
  // Three significant digits at most, no trailing zeros: "1.2 GiB", "300 MiB", "4.73 KiB".
  return `${Number(v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2))} ${UNITS[i]}`;
}

export function formatRate(bytesPerSecond: number | undefined): string {
  return bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond) ? '–' : `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** 3725 → "1h02m05s"; 65 → "1m05s"; 4 → "4s". */
export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  const pad = (x: number) => String(x).padStart(2, '0');
  if (h > 0) return `${h}h${pad(m)}m${pad(r)}s`;
  if (m > 0) return `${m}m${pad(r)}s`;
  return `${r}s`;
}

/** confirmedBytes / size as 0..1 (a 0-byte upload counts as done). */
export function uploadFraction(u: UploadStatus): number {
  if (u.size <= 0) return 1;
  return Math.min(1, Math.max(0, u.confirmedBytes / u.size));
}

/** Seconds left at the current rate, or undefined when there is no rate. */
export function uploadEtaSeconds(u: UploadStatus): number | undefined {
  if (!u.rate || u.rate <= 0 || u.state === 'failed') return undefined;
  return Math.max(0, u.size - u.confirmedBytes) / u.rate;
}

/** "3 uploads pending, 1.2 GiB · 1 failed", or "no uploads pending". Pending counts queued and active. */
export function uploadSummary(status: Pick<DriveStatus, 'uploads'>): string {
  const t = status.uploads.totals;
  const waiting = t.pending + t.active;
  const parts = [
    waiting === 0 ? 'no uploads pending' : `${waiting} upload${waiting === 1 ? '' : 's'} pending, ${formatBytes(t.pendingBytes)}`,
  ];
  if (t.failed > 0) parts.push(`${t.failed} failed`);
  return parts.join(' · ');
}
