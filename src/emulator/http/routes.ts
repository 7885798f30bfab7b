// Which endpoint a request is for: the /api/* paths, the PCS and membership paths, the seed's
// /rest/2.0/xpan/file aliases, the web page and the download links. Unknown paths get null (404).

import { checkLogin, homeInfo, membership, quota } from '../api/account.js';
import { create } from '../api/create.js';
import { data, dlink, download, pcsDownload } from '../api/download.js';
import { filemanager } from '../api/filemanager.js';
import { filemetas } from '../api/filemetas.js';
import { list } from '../api/list.js';
import { locateupload } from '../api/locateupload.js';
import { page } from '../api/page.js';
import { precreate } from '../api/precreate.js';
import { rapidupload } from '../api/rapidupload.js';
import { superfile2 } from '../api/superfile2.js';
import type { EndpointName } from '../types.js';
import type { Ctx } from './context.js';

export interface Route {
  endpoint: EndpointName;
  handler: (ctx: Ctx) => Promise<void>;
  /** Answers errors PCS-style (error_code) rather than errno. */
  pcs: boolean;
  /** Reached through a /rest/2.0/xpan/file alias. */
  xpan: boolean;
}

const API: Record<string, [EndpointName, (ctx: Ctx) => Promise<void>]> = {
  '/api/check/login': ['check/login', checkLogin],
  '/api/list': ['list', list],
  '/api/filemetas': ['filemetas', filemetas],
  '/api/create': ['create', create],
  '/api/precreate': ['precreate', precreate],
  '/api/filemanager': ['filemanager', filemanager],
  '/api/quota': ['quota', quota],
  '/api/home/info': ['home/info', homeInfo],
  '/api/download': ['download', download],
  '/api/rapidupload': ['rapidupload', rapidupload],
};

const XPAN: Record<string, [EndpointName, (ctx: Ctx) => Promise<void>]> = {
  precreate: ['precreate', precreate],
  create: ['create', create],
  filemanager: ['filemanager', filemanager],
  list: ['list', list],
};

const PAGES = new Set(['/', '/main', '/home']);
const LINK = /^\/(d\/)?file\/[0-9a-f]{32}$/;

export function route(url: URL): Route | null {
  const path = url.pathname;
  const method = url.searchParams.get('method');
  const api = API[path];
  if (api) return { endpoint: api[0], handler: api[1], pcs: false, xpan: false };
  if (PAGES.has(path)) return { endpoint: 'page', handler: page, pcs: false, xpan: false };
  if (path === '/rest/2.0/xpan/file' && method && Object.hasOwn(XPAN, method)) {
    const [endpoint, handler] = XPAN[method]!;
    return { endpoint, handler, pcs: false, xpan: true };
  }
  if (path === '/rest/2.0/pcs/superfile2') return { endpoint: 'superfile2', handler: superfile2, pcs: true, xpan: false };
  if (path === '/rest/2.0/pcs/file' && method === 'download')
    return { endpoint: 'pcsdownload', handler: pcsDownload, pcs: true, xpan: false };
  if (path === '/rest/2.0/pcs/file' && method === 'locateupload')
    return { endpoint: 'locateupload', handler: locateupload, pcs: true, xpan: false };
  if (path === '/rest/2.0/membership/proxy/user' && method === 'query')
    return { endpoint: 'membership', handler: membership, pcs: true, xpan: false };
  const link = LINK.exec(path);
  if (link)
    return link[1]
      ? { endpoint: 'dlink', handler: dlink, pcs: true, xpan: false }
      : { endpoint: 'data', handler: data, pcs: true, xpan: false };
  return null;
}
