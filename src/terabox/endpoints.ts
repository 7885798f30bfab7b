// The endpoint table: path, method, retry policy and jsToken need of every call, in one place.
//
// Retry policy (see retry.ts):
//   idempotent  reads; precreate (a new upload id is harmless); mkdir (rtype 0: a repeat answers -8, which mkdir takes as done);
//               create/rapidupload with rtype 2 or 3 (identical content is a no-op / an overwrite).
//   unsafe      filemanager delete/move/rename/copy; create/rapidupload with rtype 0 (a repeat fails
//               with -8 after the first succeeded) or 1 (a repeat makes a renamed second copy).
//   caller      superfile2: one attempt; the uploader retries each part itself after checking its md5.
// jsToken: `required` calls scrape the page first (live servers refuse them without it); `optional`
// calls send it when known and refresh on a token errno.

import type { RetryPolicy } from './retry.js';
import type { TokenNeed } from './token-refresh.js';
import type { Rtype } from './wire.js';

export interface Endpoint {
  path: string;
  method: 'GET' | 'POST';
  retry: RetryPolicy;
  token: TokenNeed;
}

function ep(path: string, method: 'GET' | 'POST', retry: RetryPolicy, token: TokenNeed): Endpoint {
  return { path, method, retry, token };
}

export const ENDPOINTS = {
  checkLogin: ep('/api/check/login', 'GET', 'idempotent', 'optional'),
  membership: ep('/rest/2.0/membership/proxy/user', 'GET', 'idempotent', 'optional'),
  quota: ep('/api/quota', 'GET', 'idempotent', 'optional'),
  homeInfo: ep('/api/home/info', 'GET', 'idempotent', 'optional'),
  list: ep('/api/list', 'GET', 'idempotent', 'optional'),
  filemetas: ep('/api/filemetas', 'POST', 'idempotent', 'optional'),
  dlnaLink: ep('/api/filemetas', 'GET', 'idempotent', 'optional'),
  download: ep('/api/download', 'GET', 'idempotent', 'optional'),
  locateUpload: ep('/rest/2.0/pcs/file', 'GET', 'idempotent', 'optional'),
  mkdir: ep('/api/create', 'POST', 'idempotent', 'required'),
  precreate: ep('/api/precreate', 'POST', 'idempotent', 'required'),
  superfile2: ep('/rest/2.0/pcs/superfile2', 'POST', 'caller', 'optional'),
  create: ep('/api/create', 'POST', 'unsafe', 'required'),
  rapidUpload: ep('/api/rapidupload', 'POST', 'unsafe', 'optional'),
  filemanager: ep('/api/filemanager', 'POST', 'unsafe', 'required'),
  /** The seed's `method=precreate|create` form (apiStyle "xpan"). */
  xpanFile: ep('/rest/2.0/xpan/file', 'POST', 'unsafe', 'required'),
} as const satisfies Record<string, Endpoint>;

/** Commit-like calls are safe to repeat only when the rtype makes a repeat a no-op. */
export function commitPolicy(rtype: Rtype): RetryPolicy {
  return rtype === 2 || rtype === 3 ? 'idempotent' : 'unsafe';
}
