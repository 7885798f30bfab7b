// The status page at /.well-known/terabox-webdav/: the status snapshot as server-rendered HTML that
// reads on a phone and refreshes itself. Without JavaScript a <noscript> meta refresh reloads the page;
// with it a few lines swap the <main> element in place, so the scroll position stays. Every value that
// comes from the snapshot is HTML-escaped (paths and error messages are user input or upstream text).

import { WELL_KNOWN_PREFIX, type DriveStatus, type UploadStatus } from '../drive/status.js';
import { formatBytes, formatDuration, formatRate, uploadEtaSeconds, uploadFraction, uploadSummary } from '../drive/status-format.js';

export const STATUS_PAGE_PATH = `${WELL_KNOWN_PREFIX}/`;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** "2026-12-06T08:13:39.402Z" → "2026-12-06 08:13:39 UTC"; anything else as it is. */
function readableTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

const STATE_ORDER: Record<UploadStatus['state'], number> = { active: 0, failed: 1, pending: 2 };

function uploadCard(u: UploadStatus): string {
  const fraction = uploadFraction(u);
  const percent = Math.floor(fraction * 1000) / 10;
  const facts = [
    `${formatBytes(u.confirmedBytes)} of ${formatBytes(u.size)}`,
    u.state === 'active' ? formatRate(u.rate) : undefined,
    u.state === 'active' ? `ETA ${formatDuration(uploadEtaSeconds(u))}` : undefined,
    u.attempts > 0 ? `attempt${u.attempts === 1 ? '' : 's'} ${u.attempts}` : undefined,
  ].filter((f): f is string => f !== undefined);
  const error = u.lastError ? `<div class="error">${escapeHtml(u.lastError)}</div>` : '';
  return (
    `<li class="upload ${u.state}" data-id="${escapeHtml(u.id)}">` +
    `<div class="row"><span class="path">${escapeHtml(u.path)}</span><span class="badge ${u.state}">${u.state}</span></div>` +
    `<progress max="${u.size}" value="${Math.min(u.confirmedBytes, u.size)}" aria-label="${escapeHtml(u.path)}">${percent}%</progress>` +
    `<div class="facts"><span class="percent">${percent}%</span> · ${facts.map(escapeHtml).join(' · ')}</div>` +
    error +
    '</li>'
  );
}

function definitionList(rows: [string, string][]): string {
  return '<dl>' + rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${v}</dd>`).join('') + '</dl>';
}

function uploadsSection(s: DriveStatus): string {
  const t = s.uploads.totals;
  const totals =
    '<div class="totals" id="totals">' +
    `<div><b id="total-pending">${t.pending}</b>pending</div>` +
    `<div><b id="total-active">${t.active}</b>active</div>` +
    `<div class="${t.failed > 0 ? 'bad' : ''}"><b id="total-failed">${t.failed}</b>failed</div>` +
    `<div><b id="total-bytes">${escapeHtml(formatBytes(t.pendingBytes))}</b>to upload</div>` +
    '</div>' +
    (t.backpressure ? '<p class="warn">New uploads are waiting for room in the queue.</p>' : '');
  const items = [...s.uploads.items].sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.queuedAt.localeCompare(b.queuedAt));
  const list =
    items.length === 0 ? '<p class="muted">Nothing is uploading.</p>' : `<ul class="uploads">${items.map(uploadCard).join('')}</ul>`;
  return `<section id="uploads"><h2>Uploads</h2><p class="summary">${escapeHtml(uploadSummary(s))}</p>${totals}${list}</section>`;
}

function cacheSection(s: DriveStatus): string {
  const c = s.cache;
  if (!c) return '<section id="cache"><h2>Read cache</h2><p class="muted">No read cache.</p></section>';
  const fill = c.maxBytes > 0 ? ` of ${formatBytes(c.maxBytes)}` : '';
  return (
    '<section id="cache"><h2>Read cache</h2>' +
    (c.maxBytes > 0 ? `<progress max="${c.maxBytes}" value="${Math.min(c.bytes, c.maxBytes)}" aria-label="cache"></progress>` : '') +
    definitionList([
      ['Mode', escapeHtml(c.mode)],
      ['Size', escapeHtml(`${formatBytes(c.bytes)}${fill} in ${c.entries} entries`)],
      ['Hit ratio', escapeHtml(`${(c.hitRatio * 100).toFixed(1)}% (${c.hits} hits, ${c.misses} misses)`)],
      ['Fetched from TeraBox', escapeHtml(formatBytes(c.bytesFetched))],
    ]) +
    '</section>'
  );
}

function quotaSection(s: DriveStatus): string {
  const q = s.quota;
  if (!q) return '<section id="quota"><h2>Account</h2><p class="muted">Quota unknown (TeraBox did not answer).</p></section>';
  const total = q.used + q.available;
  return (
    '<section id="quota"><h2>Account</h2>' +
    `<progress max="${total}" value="${q.used}" aria-label="quota"></progress>` +
    definitionList([
      ['Used', escapeHtml(`${formatBytes(q.used)} of ${formatBytes(total)}`)],
      ['Free', escapeHtml(formatBytes(q.available))],
    ]) +
    '</section>'
  );
}

function teraboxSection(s: DriveStatus): string {
  const h = s.terabox;
  const rows: [string, string][] = [['Reachable', h.reachable ? '<span class="ok">yes</span>' : '<span class="bad">no</span>']];
  if (h.lastError)
    rows.push([
      'Last error',
      `${escapeHtml(h.lastError.message)} <span class="muted">(${escapeHtml(readableTime(h.lastError.at))})</span>`,
    ]);
  if (h.lastTokenRefresh) rows.push(['Last token refresh', escapeHtml(readableTime(h.lastTokenRefresh))]);
  if (h.region) rows.push(['Region', escapeHtml(h.region)]);
  if (h.uploadHost) rows.push(['Upload host', escapeHtml(h.uploadHost)]);
  if (h.apiStyle) rows.push(['API style', escapeHtml(h.apiStyle)]);
  if (h.downloadRoute) rows.push(['Downloads', escapeHtml(h.downloadRoute)]);
  if (h.callsPerSecond !== undefined) {
    const limit = h.callsPerSecondLimit !== undefined ? ` of ${h.callsPerSecondLimit}` : '';
    rows.push(['Calls per second', escapeHtml(`${h.callsPerSecond.toFixed(1)}${limit}`)]);
  }
  return `<section id="terabox"><h2>TeraBox</h2>${definitionList(rows)}</section>`;
}

function driveSection(s: DriveStatus): string {
  const st = s.settings;
  return (
    '<section id="drive"><h2>Drive</h2>' +
    definitionList([
      ['Version', escapeHtml(s.version)],
      ['Up for', escapeHtml(formatDuration(s.uptimeSeconds))],
      ['Started', escapeHtml(readableTime(s.startedAt))],
      ['Upload mode', escapeHtml(st.uploadMode)],
      ['Parallel parts', escapeHtml(`${st.uploadParallel} per upload, ${st.uploadGlobalParallel} in all`)],
      ['Read cache', escapeHtml(st.cacheMode)],
      ['Parallel downloads', escapeHtml(String(st.downloadParallel))],
      ['Read-only', st.readOnly ? 'yes' : 'no'],
    ]) +
    '</section>'
  );
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#6a737d;--card:#f6f8fa;--line:#d0d7de;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700;--accent:#0969da}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--card:#161b22;--line:#30363d;--ok:#3fb950;--bad:#f85149;--warn:#d29922;--accent:#4493f8}body{background:#0d1117}}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg)}
header{display:flex;flex-wrap:wrap;gap:.3em 1em;align-items:baseline;padding:.8em 1em;border-bottom:1px solid var(--line)}
header h1{font-size:1.15em;margin:0}
header a{color:var(--accent)}
main{max-width:52em;margin:0 auto;padding:0 1em 2em}
h2{font-size:1.05em;margin:1.4em 0 .5em}
.muted{color:var(--muted)}.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}
.summary{margin:.2em 0 .6em;font-weight:600}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(6em,1fr));gap:.5em}
.totals div{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.4em .6em;color:var(--muted);font-size:.85em}
.totals b{display:block;font-size:1.5em;color:var(--fg)}
.totals div.bad b{color:var(--bad)}
ul.uploads{list-style:none;margin:.8em 0 0;padding:0}
li.upload{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6em .7em;margin-bottom:.5em}
li.upload.failed{border-color:var(--bad)}
.row{display:flex;gap:.5em;justify-content:space-between;align-items:flex-start}
.path{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.badge{font-size:.75em;border-radius:1em;padding:.05em .6em;border:1px solid var(--line);white-space:nowrap}
.badge.active{color:var(--accent);border-color:var(--accent)}.badge.failed{color:var(--bad);border-color:var(--bad)}
progress{width:100%;height:.9em;margin:.4em 0 .2em}
.facts{font-size:.85em;color:var(--muted)}
.error{font-size:.85em;color:var(--bad);word-break:break-word;margin-top:.2em}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em;margin:.4em 0}
dt{color:var(--muted)}dd{margin:0;word-break:break-word}
`;

export interface StatusPageOptions {
  /** Seconds between refreshes (1–300). */
  refreshSeconds?: number;
  /** When the page was made, for the "updated" stamp. */
  now?: Date;
}

/** The status page for one snapshot. */
export function renderStatusPage(s: DriveStatus, opts: StatusPageOptions = {}): string {
  const refresh = Math.min(300, Math.max(1, Math.round(opts.refreshSeconds ?? 5)));
  const now = readableTime((opts.now ?? new Date()).toISOString());
  // Replaces <main> with the one from a fresh copy of the page; on any failure the next tick retries.
  const script =
    `<script>setInterval(function(){fetch(location.href,{cache:"no-store",credentials:"same-origin"})` +
    `.then(function(r){if(!r.ok)throw 0;return r.text()}).then(function(t){` +
    `var d=new DOMParser().parseFromString(t,"text/html");document.querySelector("main").replaceWith(d.querySelector("main"));` +
    `document.title=d.title}).catch(function(){})},${refresh * 1000});</script>`;
  return (
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(uploadSummary(s))} · terabox-webdav</title>` +
    `<noscript><meta http-equiv="refresh" content="${refresh}"></noscript>` +
    `<style>${STYLE}</style></head><body>` +
    `<header><h1>terabox-webdav status</h1><a href="/">Files</a><a href="${STATUS_PAGE_PATH}status.json">JSON</a><a href="${STATUS_PAGE_PATH}metrics">Metrics</a></header>` +
    `<main><p class="muted" id="updated">Updated ${escapeHtml(now)}, every ${refresh} s.</p>` +
    uploadsSection(s) +
    cacheSection(s) +
    quotaSection(s) +
    teraboxSection(s) +
    driveSection(s) +
    '</main>' +
    script +
    '</body></html>\n'
  );
}
