// Turns the wire's file items into RemoteEntry: numbers that may arrive as strings, md5 in either form
// made plain, names taken from the path when the server leaves them out.

import type { RemoteEntry } from './api.js';
import { decodeMd5 } from './md5-codec.js';
import { baseName } from './paths.js';
import type { WireCreateResponse, WireFileItem } from './wire.js';

function num(value: unknown, fallback = 0): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : fallback;
}

/** The plain-hex md5, or undefined when the server sent nothing usable. */
export function plainMd5(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return decodeMd5(value);
  } catch {
    return undefined;
  }
}

function finish(entry: RemoteEntry, md5: unknown, category: unknown): RemoteEntry {
  const plain = plainMd5(md5);
  if (plain !== undefined && !entry.isDir) entry.md5 = plain;
  if (category !== undefined) entry.category = num(category);
  return entry;
}

/** An item of list / filemetas / precreate info / rapidupload info. */
export function entryFromItem(item: WireFileItem): RemoteEntry {
  const path = String(item.path);
  return finish(
    {
      fsId: num(item.fs_id),
      path,
      name: item.server_filename ? String(item.server_filename) : baseName(path),
      isDir: num(item.isdir) === 1,
      size: num(item.size),
      mtime: num(item.server_mtime, num(item.local_mtime)),
      ctime: num(item.server_ctime, num(item.local_ctime)),
      ...(item.local_mtime !== undefined && num(item.local_mtime) > 0 ? { localMtime: num(item.local_mtime) } : {}),
    },
    item.md5,
    item.category,
  );
}

/** The create / mkdir answer (its md5 is obfuscated, §2.8.4). */
export function entryFromCreate(res: WireCreateResponse): RemoteEntry {
  const path = String(res.path);
  return finish(
    {
      fsId: num(res.fs_id),
      path,
      name: res.server_filename ? String(res.server_filename) : baseName(path),
      isDir: num(res.isdir) === 1,
      size: num(res.size),
      mtime: num(res.mtime),
      ctime: num(res.ctime),
    },
    res.md5,
    res.category,
  );
}
