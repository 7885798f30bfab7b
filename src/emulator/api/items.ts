// Store entries in TeraBox's wire shape (list, filemetas, create answers).

import { encodeMd5 } from '../../terabox/md5-codec.js';
import type { WireCreateResponse, WireFileItem } from '../../terabox/wire.js';
import { categoryOf } from '../paths.js';
import type { Entry } from '../store/tree.js';

/** A list / filemetas item: md5 in plain hex (files only). */
export function wireItem(e: Entry): WireFileItem {
  const item: WireFileItem = {
    fs_id: e.fsId,
    path: e.path,
    server_filename: e.name,
    size: e.size,
    isdir: e.isDir ? 1 : 0,
    category: categoryOf(e.name, e.isDir),
    server_mtime: e.mtime,
    server_ctime: e.ctime,
    server_atime: 0,
    local_mtime: e.localMtime,
    local_ctime: e.localCtime,
  };
  if (!e.isDir && e.etag) item.md5 = e.etag;
  return item;
}

/** The create / mkdir answer: md5 obfuscated as TeraBox sends it. */
export function createAnswer(e: Entry, now: number): Omit<WireCreateResponse, 'request_id'> {
  const answer: Omit<WireCreateResponse, 'request_id'> = {
    errno: 0,
    errmsg: '',
    newno: '',
    fs_id: e.fsId,
    path: e.path,
    server_filename: e.name,
    name: e.path,
    size: e.size,
    isdir: e.isDir ? 1 : 0,
    category: categoryOf(e.name, e.isDir),
    ctime: e.ctime,
    mtime: e.mtime,
    from_type: 1,
    server_time: now,
  };
  if (!e.isDir && e.etag) answer.md5 = encodeMd5(e.etag);
  return answer;
}
