// The small HTML page a browser gets for GET on a collection, with a link to the status page and a
// one-line summary of the uploads in flight.

import type { Entry } from '../drive/types.js';
import { hrefFor } from './paths.js';
import { escapeHtml, STATUS_PAGE_PATH } from './status-page.js';

/**
 * An href as a literal URL: percent-encoded all the way (`'` too, as %27), since some clients (lftp)
 * take the attribute's characters as they are rather than HTML-decoding them.
 */
function literalHref(path: string, isDir: boolean): string {
  return hrefFor(path, isDir).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

/** `summary`: e.g. "3 uploads pending, 1.2 GiB"; undefined when the drive has no status to show. */
export function renderDirectoryIndex(dir: Entry, members: Entry[], summary?: string): string {
  const title = escapeHtml(dir.path === '/' ? '/' : dir.path + '/');
  const sorted = [...members].sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.name.localeCompare(b.name));
  const rows = sorted.map((e) => {
    const label = escapeHtml(e.name + (e.isDir ? '/' : ''));
    const size = e.isDir ? '' : String(e.size);
    return `<tr><td><a href="${literalHref(e.path, e.isDir)}">${label}</a></td><td>${size}</td><td>${e.mtime.toUTCString()}</td></tr>`;
  });
  const up = dir.path === '/' ? '' : `<tr><td><a href="../">../</a></td><td></td><td></td></tr>`;
  return (
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Index of ' +
    title +
    '</title></head><body><h1>Index of ' +
    title +
    '</h1>' +
    (summary === undefined ? '' : `<p id="drive-status"><a href="${STATUS_PAGE_PATH}">Status</a>: ${escapeHtml(summary)}</p>`) +
    '<table><tr><th>Name</th><th>Size</th><th>Modified</th></tr>' +
    up +
    rows.join('') +
    '</table></body></html>\n'
  );
}
