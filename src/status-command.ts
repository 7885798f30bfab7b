// `terabox-webdav status`: reads the status snapshot of a running drive and prints its upload queue as
// a table; --watch redraws it with progress bars (like `rclone -P`), --wait polls until nothing is
// pending. Exit codes: 0 nothing failed, 1 an upload failed, 2 the status could not be read, 3 --wait
// reached its deadline with uploads still pending.

import { request, type Dispatcher } from 'undici';
import type { DriveStatus, UploadStatus } from './drive/status.js';
import { WELL_KNOWN_PREFIX } from './drive/status.js';
import { formatBytes, formatDuration, formatRate, uploadEtaSeconds, uploadFraction, uploadSummary } from './drive/status-format.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_UNREADABLE = 2;
export const EXIT_DEADLINE = 3;

export interface StatusOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface StatusCommandOptions {
  /** The status.json address. */
  url: string;
  user?: string;
  password?: string;
  /** Redraw at every poll. */
  watch?: boolean;
  /** Poll until nothing is pending or active. */
  wait?: boolean;
  /** Between polls; default 1 s. */
  intervalMs?: number;
  /** --watch and --wait give up after this long; default one day. */
  deadlineMs?: number;
  out: StatusOutput;
  err: StatusOutput;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The status.json address of a drive listening on host:port (a wildcard address is reached on loopback). */
export function statusUrl(host: string, port: number): string {
  const h = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}${WELL_KNOWN_PREFIX}/status.json`;
}

class Unreadable extends Error {}

async function fetchStatus(opts: StatusCommandOptions): Promise<DriveStatus> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.user !== undefined) {
    headers.authorization = 'Basic ' + Buffer.from(`${opts.user}:${opts.password ?? ''}`, 'utf8').toString('base64');
  }
  let res: Dispatcher.ResponseData;
  try {
    res = await request(opts.url, { headers, headersTimeout: 15_000, bodyTimeout: 15_000 });
  } catch (e) {
    throw new Unreadable(`cannot reach the drive at ${opts.url}: ${(e as Error).message}`);
  }
  if (res.statusCode === 401) {
    await res.body.dump();
    throw new Unreadable(
      opts.user === undefined
        ? 'the drive asks for a user: pass --user NAME and the password in TERABOX_WEBDAV_PASSWORD (or type it when asked)'
        : `the drive refused user ${opts.user}: wrong name or password`,
    );
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Unreadable(`the drive answered HTTP ${res.statusCode} for ${opts.url} (is it a terabox-webdav drive of this version?)`);
  }
  try {
    const body = (await res.body.json()) as DriveStatus;
    if (!body?.uploads?.totals || !Array.isArray(body.uploads.items)) throw new Error('no uploads section');
    return body;
  } catch (e) {
    throw new Unreadable(`the drive's status is not readable: ${(e as Error).message}`);
  }
}

/** `[#######-------]` of `width` cells. */
export function progressBar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return '[' + '#'.repeat(filled) + '-'.repeat(width - filled) + ']';
}

const ORDER: Record<UploadStatus['state'], number> = { active: 0, failed: 1, pending: 2 };

/** The queue as a fixed-width table, with a summary line first; `bars` adds a progress bar column. */
export function renderQueue(s: DriveStatus, opts: { bars?: boolean; columns?: number } = {}): string {
  const lines = [`${uploadSummary(s)}`];
  const items = [...s.uploads.items].sort((a, b) => ORDER[a.state] - ORDER[b.state] || a.queuedAt.localeCompare(b.queuedAt));
  if (items.length > 0) {
    const header = ['STATE', 'DONE', 'SIZE', 'RATE', 'ETA', 'TRIES', 'PATH'];
    const rows = items.map((u) => {
      const pct = `${Math.floor(uploadFraction(u) * 100)}%`;
      const done = opts.bars ? `${progressBar(uploadFraction(u), 20)} ${pct.padStart(4)}` : pct;
      return [
        u.state,
        done,
        formatBytes(u.size),
        u.state === 'active' ? formatRate(u.rate) : '',
        u.state === 'active' ? formatDuration(uploadEtaSeconds(u)) : '',
        String(u.attempts),
        u.path,
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
    lines.push('', fmt(header), ...rows.map(fmt));
    const errors = items.filter((u) => u.lastError);
    if (errors.length > 0) {
      lines.push('');
      for (const u of errors) lines.push(`${u.state === 'failed' ? 'failed' : 'retrying'}: ${u.path}: ${u.lastError}`);
    }
  }
  const extra: string[] = [];
  if (s.quota) extra.push(`account ${formatBytes(s.quota.used)} used, ${formatBytes(s.quota.available)} free`);
  if (s.cache) extra.push(`cache ${formatBytes(s.cache.bytes)}, ${(s.cache.hitRatio * 100).toFixed(0)}% hits`);
  extra.push(
    s.terabox.reachable ? 'TeraBox reachable' : `TeraBox unreachable${s.terabox.lastError ? `: ${s.terabox.lastError.message}` : ''}`,
  );
  lines.push('', ...extra);
  const width = opts.columns && opts.columns > 20 ? opts.columns : undefined;
  return lines.map((l) => (width && l.length > width ? l.slice(0, width - 1) + '…' : l)).join('\n') + '\n';
}

const waiting = (s: DriveStatus) => s.uploads.totals.pending + s.uploads.totals.active > 0;

/** Runs the command; resolves with its exit code. */
export async function runStatusCommand(opts: StatusCommandOptions): Promise<number> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const interval = opts.intervalMs ?? 1000;
  const deadline = now() + (opts.deadlineMs ?? 86_400_000);
  const redraw = opts.watch === true && opts.out.isTTY === true;
  let frames = 0;
  for (;;) {
    let s: DriveStatus;
    try {
      s = await fetchStatus(opts);
    } catch (e) {
      if (!(e instanceof Unreadable)) throw e;
      opts.err.write(`terabox-webdav: ${e.message}\n`);
      return EXIT_UNREADABLE;
    }
    const polling = (opts.watch || opts.wait) === true;
    const done = !polling || (opts.wait === true && !waiting(s));
    if (opts.watch || !opts.wait || done) {
      // A terminal gets the frame redrawn in place; a pipe or file gets one frame after another.
      const frame = renderQueue(s, { bars: opts.watch, columns: redraw ? opts.out.columns : undefined });
      opts.out.write(redraw ? `\x1b[H\x1b[2J${frame}` : frames > 0 ? `\n${frame}` : frame);
      frames++;
    }
    if (done) return s.uploads.totals.failed > 0 ? EXIT_FAILED : EXIT_OK;
    if (now() >= deadline) {
      opts.err.write(`terabox-webdav: ${uploadSummary(s)} when the deadline passed\n`);
      return opts.wait ? EXIT_DEADLINE : s.uploads.totals.failed > 0 ? EXIT_FAILED : EXIT_OK;
    }
    await sleep(Math.min(interval, Math.max(0, deadline - now())));
  }
}
