// The small HTML page a browser gets for GET on a collection.

import type { Entry } from '../drive/types.js';
import { hrefFor } from './paths.js';

/**
 * An href as a literal URL: percent-encoded all the way (`'` too, as %27), since some clients (lftp)
 * take the attribute's characters as they are rather than HTML-decoding them.
 */
function literalHref(path: string, isDir: boolean): string {
  return hrefFor(path, isDir).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderDirectoryIndex(dir: Entry, members: Entry[]): string {
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
    '</h1><table><tr><th>Name</th><th>Size</th><th>Modified</th></tr>' +
    up +
    rows.join('') +
    '</table></body></html>\n'
  );
}
