// TeraBox's wire format: the JSON shapes its web API sends and the protocol constants both the
// client and the emulator must agree on. Nothing here does I/O; the §n in comments are sections of
// docs/terabox-protocol.md.

/** app_id every web client sends (query of almost every call). */
export const APP_ID = '250528';

/** Common query parameters live web clients add to API calls (§1.3). */
export const COMMON_QUERY: Readonly<Record<string, string>> = {
  app_id: APP_ID,
  web: '1',
  channel: 'dubox',
  clienttype: '0',
};

/** Desktop-client User-Agent: avoids the reCAPTCHA page that breaks jsToken scraping (§1.4). */
export const DESKTOP_USER_AGENT = 'terabox;1.37.0.7;PC;PC-Windows;10.0.22631;WindowsTeraBox';

/** The fixed precreate block_list the official web client sends (§0, §2.8.2). */
export const PLACEHOLDER_BLOCK_MD5 = ['5910a591dd8fc18c32a8f3df4fdc1761', 'a5fc157d78e6ad1c7e114b056c92821e'] as const;

/** The literal text around the jsToken in the web page's inline script (§1.5). */
export const JS_TOKEN_PREFIX = 'function%20fn%28a%29%7Bwindow.jsToken%20%3D%20a%7D%3Bfn%28%22';
export const JS_TOKEN_SUFFIX = '%22%29';

/** Size of the slice whose MD5 rapid upload sends as `slice-md5` (§3.2). */
export const SLICE_MD5_BYTES = 256 * 1024;

/** Errno values with a meaning clients act on (§4.1). */
export const Errno = {
  OK: 0,
  VERIFY_FAILED: -1,
  NOT_LOGGED_IN: -6,
  INVALID_NAME: -7,
  EXISTS: -8,
  NOT_FOUND: -9,
  QUOTA: -10,
  PARENT_MISSING: -11,
  QUOTA_32: -32,
  PARAM: 2,
  TOO_MANY_ITEMS: 3,
  BAD_NEW_NAME: 4,
  CREATE_SUPERFILE_FAILED: 10,
  PARTIAL: 12,
  FILE_TOO_LARGE: 58,
  INVALID_COOKIE: 104,
  RAPID_NOT_FOUND: 404,
  RAPID_NOT_ALLOWED: 413,
  REGION_UNAVAILABLE: 9000,
  TOO_FREQUENT: 31034,
  USER_NOT_EXISTS: 31045,
  PART_TOO_SMALL: 31299,
  PCS_FAILED: 31355,
  BLOCK_MISS: 31363,
  DLINK_NEED_VERIFY: 400141,
  SHARE_TRANSFER_VERIFY: 400810,
  JS_TOKEN_FILEMANAGER: 450016,
  SHARE_LIST_VERIFY: 4000020,
  NEED_VERIFY: 4000023,
} as const;

/** Errnos after which the jsToken is re-scraped and the call retried once (§4.3). */
export const TOKEN_REFRESH_ERRNOS: readonly number[] = [
  Errno.NEED_VERIFY,
  Errno.JS_TOKEN_FILEMANAGER,
  Errno.SHARE_LIST_VERIFY,
  Errno.SHARE_TRANSFER_VERIFY,
];

/** Response header that carries the region prefix with errno -6 (§1.2; two names seen). */
export const REGION_HEADERS = ['url-domain-prefix', 'region-domain-prefix'] as const;

/** Every `/api/*` JSON answer carries these. request_id is a number or a string (§2). */
export interface WireBase {
  errno: number;
  errmsg?: string;
  request_id?: number | string;
  newno?: string;
  show_msg?: string;
}

/** One item of /api/list, /api/filemetas, and the create/precreate `info` (§2.1, §2.8.4). */
export interface WireFileItem {
  fs_id: number;
  path: string;
  server_filename: string;
  size: number;
  isdir: 0 | 1;
  category: number;
  server_mtime: number;
  server_ctime: number;
  server_atime?: number;
  local_mtime?: number;
  local_ctime?: number;
  /** Plain hex in list and filemetas; for multi-part files the block-list md5 (§3.3). */
  md5?: string;
  /** Only in filemetas with dlink=1. */
  dlink?: string;
  /** Per-item errno in filemetas (-9 for a missing path). */
  errno?: number;
}

export interface WireListResponse extends WireBase {
  list: WireFileItem[];
  guid_info?: string;
  guid?: number;
}

export interface WireFilemetasResponse extends WireBase {
  info: WireFileItem[];
}

export interface WireCheckLoginResponse extends WireBase {
  uk?: number;
}

export interface WireQuotaResponse extends WireBase {
  total: number;
  used: number;
  free: number;
  expire?: boolean;
  sbox_used?: number;
  server_time?: number;
}

export interface WireHomeInfoResponse extends WireBase {
  data: { sign1: string; sign3: string; timestamp: number; [k: string]: unknown };
}

export interface WireDownloadResponse extends WireBase {
  dlink: { fs_id: string | number; dlink: string }[];
  file_info?: { size: number; filename: string };
}

export interface WireMembershipResponse {
  error_code: number;
  error_msg?: string;
  data?: { member_info?: { is_vip: number; vip_end_time?: number; vip_left_time?: number } };
  request_id?: number | string;
}

/** The create response: the new entry, `md5` obfuscated (§2.8.4). mkdir answers the same shape. */
export interface WireCreateResponse extends WireBase {
  fs_id: number;
  path: string;
  server_filename: string;
  name?: string;
  size: number;
  isdir: 0 | 1;
  category: number;
  ctime: number;
  mtime: number;
  md5?: string;
  from_type?: number;
  server_time?: number;
}

export interface WirePrecreateResponse extends WireBase {
  path?: string;
  uploadid?: string;
  /** 1 = upload needed, 2 = the server already has the content (rapid). */
  return_type?: number;
  /** 0-based partseqs the server still needs. */
  block_list?: number[];
  /** Present with return_type 2 when the server committed the file itself. */
  info?: WireFileItem;
  /** Handed out on some accounts; superfile2 must send it back (§7). */
  uploadsign?: string;
}

export interface WireFilemanagerResponse extends WireBase {
  info: { errno: number; path: string; [k: string]: unknown }[];
  taskid?: number;
}

export interface WireRapidUploadResponse extends WireBase {
  info?: WireFileItem;
}

/** Answers of the PCS upload host use error_code/error_msg instead of errno (§2.8.3). */
export interface WirePcsError {
  error_code: number;
  error_msg: string;
  request_id?: number | string;
}

export interface WireSuperfile2Response {
  md5: string;
  partseq?: number | string;
  uploadid?: string;
  request_id?: number | string;
}

export interface WireLocateUploadResponse {
  /** A bare host name such as `c-jp.terabox.com` (no scheme). */
  host: string;
  server?: string[];
  error_code?: number;
  error_msg?: string;
  request_id?: number | string;
}

/** filemanager operations (§2.5). */
export type FilemanagerOpera = 'delete' | 'move' | 'rename' | 'copy';
export type WireDeleteItem = string;
export interface WireRenameItem {
  path: string;
  newname: string;
}
export interface WireMoveItem {
  path: string;
  dest: string;
  newname: string;
  ondup?: 'fail' | 'overwrite' | 'newcopy';
}

/**
 * rtype of create/precreate (§2.8.4): 0 fail on conflict (-8), 1 rename on conflict,
 * 2 rename only if content differs, 3 overwrite.
 */
export type Rtype = 0 | 1 | 2 | 3;
