// Settings: config/default.json < --config file < environment < command-line flags. Every value is
// checked against one schema; a bad or unknown setting stops start-up with a message that names it.

import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPasswordHash } from './util/password.js';

export interface UserSetting {
  name: string;
  /** `scrypt$N$r$p$salt$hash`, made by `terabox-webdav hash-password`. */
  passwordHash: string;
}

export interface Config {
  dataDir: string;
  server: {
    host: string;
    port: number;
    readOnly: boolean;
    users: UserSetting[];
    maxXmlBodyBytes: number;
    lockMaxTimeoutSeconds: number;
    /** A loopback port serving the Prometheus metrics without authentication; 0 = off. */
    metricsPort: number;
    /** The drive's public URL behind a reverse proxy ('' = none): Destination headers may name its authority. */
    publicUrl: string;
    /** Most resources one PROPFIND Depth: infinity answer lists (above: 403 propfind-finite-depth). */
    propfindMaxEntries: number;
  };
  terabox: {
    cookie: string;
    baseUrl: string;
    userAgent: string;
    apiStyle: 'api' | 'xpan';
    uploadHost: string;
    downloadApi: 'dlna' | 'official';
    /** Characters refused in names before anything is sent (TeraBox answers errno -7 for them). */
    invalidNameChars: string;
    /** `fullwidth`: refused characters travel as full-width look-alikes; `refuse`: such names get 400. */
    nameEncoding: 'fullwidth' | 'refuse';
    maxConnections: number;
    timeouts: { connectMs: number; requestMs: number; partMs: number };
    retry: { attempts: number; baseDelayMs: number; maxDelayMs: number };
    /** API calls per second, shared by every caller (0 = no pacing); data transfers are not counted. */
    apiCallsPerSecond: number;
    /** API calls that may go at once after a quiet spell. */
    apiBurst: number;
  };
  upload: {
    parallel: number;
    globalParallel: number;
    partAttempts: number;
    /** Empty = `<dataDir>/spool`. */
    spoolDir: string;
    precreateBlockList: 'real' | 'placeholder';
    rapidUpload: boolean;
    /** 0 = ask the account (free 4 GiB, premium more). */
    maxFileSize: number;
    ladder: { baseChunkSize: number; baseLimit: number; maxChunkSize: number };
    /** write-back: a PUT is answered once its body is durable locally; write-through: once TeraBox holds it. */
    mode: 'write-back' | 'write-through';
    /** Write-back: bytes not yet on TeraBox past which new PUTs are written through. 0 = min(20 GiB, half the spool disk's free space at start). */
    maxPendingBytes: number;
  };
  cache: {
    dirTtlSeconds: number;
    maxDirs: number;
    linkMarginSeconds: number;
    quotaTtlSeconds: number;
    /** `full`: file bytes read are kept in a block cache on disk (`<dataDir>/cache`); `off`: streamed only. */
    mode: 'full' | 'off';
    /** Most bytes the block cache holds (also capped at half the disk's free space). */
    maxBytes: number;
    /** Bytes per cached chunk (and per ranged fetch). */
    chunkSize: number;
  };
  download: {
    /** Ranged chunk fetches in flight for one sequential reader (read-ahead). */
    parallel: number;
  };
  overlay: { patterns: string[] };
  emulator: { host: string; port: number; knobs: Record<string, unknown> };
  log: {
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
    /** JSON lines, readable lines, or readable on a terminal and JSON otherwise. */
    format: 'json' | 'pretty' | 'auto';
  };
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Leaf =
  | { kind: 'string'; oneOf?: readonly string[]; url?: boolean }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'strings' }
  | { kind: 'users' }
  | { kind: 'object' };
interface Branch {
  [key: string]: Schema;
}
type Schema = Leaf | Branch;

const int = (min: number, max = Number.MAX_SAFE_INTEGER): Leaf => ({ kind: 'int', min, max });
const str = (oneOf?: readonly string[]): Leaf => ({ kind: 'string', oneOf });
const url: Leaf = { kind: 'string', url: true };
const bool: Leaf = { kind: 'bool' };
const MAX_INT32 = 2 ** 31 - 1;

const SCHEMA: Branch = {
  dataDir: str(),
  server: {
    host: str(),
    port: int(0, 65535),
    readOnly: bool,
    users: { kind: 'users' },
    maxXmlBodyBytes: int(1024, 64 * 1024 * 1024),
    lockMaxTimeoutSeconds: int(1, MAX_INT32),
    metricsPort: int(0, 65535),
    publicUrl: str(),
    propfindMaxEntries: int(1, 10_000_000),
  },
  terabox: {
    cookie: str(),
    baseUrl: url,
    userAgent: str(),
    apiStyle: str(['api', 'xpan']),
    uploadHost: str(),
    downloadApi: str(['dlna', 'official']),
    invalidNameChars: str(),
    nameEncoding: str(['fullwidth', 'refuse']),
    maxConnections: int(1, 1024),
    timeouts: { connectMs: int(1, MAX_INT32), requestMs: int(1, MAX_INT32), partMs: int(1, MAX_INT32) },
    retry: { attempts: int(1, 20), baseDelayMs: int(0, 600_000), maxDelayMs: int(0, 600_000) },
    apiCallsPerSecond: int(0, 100_000),
    apiBurst: int(1, 100_000),
  },
  upload: {
    parallel: int(1, 16),
    globalParallel: int(1, 64),
    partAttempts: int(1, 20),
    spoolDir: str(),
    precreateBlockList: str(['real', 'placeholder']),
    rapidUpload: bool,
    maxFileSize: int(0),
    ladder: { baseChunkSize: int(1), baseLimit: int(1), maxChunkSize: int(1) },
    mode: str(['write-back', 'write-through']),
    maxPendingBytes: int(0),
  },
  cache: {
    dirTtlSeconds: int(0, MAX_INT32),
    maxDirs: int(1, 10_000_000),
    linkMarginSeconds: int(0, MAX_INT32),
    quotaTtlSeconds: int(0, MAX_INT32),
    mode: str(['full', 'off']),
    maxBytes: int(0),
    chunkSize: int(4096, 1024 * 1024 * 1024),
  },
  download: { parallel: int(1, 16) },
  overlay: { patterns: { kind: 'strings' } },
  emulator: { host: str(), port: int(0, 65535), knobs: { kind: 'object' } },
  log: { level: str(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), format: str(['json', 'pretty', 'auto']) },
};

/** Environment variables and the setting each one sets. */
export const ENV_SETTINGS: Readonly<Record<string, string>> = {
  TERABOX_COOKIE: 'terabox.cookie',
  TERABOX_UPSTREAM: 'terabox.baseUrl',
  TERABOX_API_STYLE: 'terabox.apiStyle',
  TERABOX_WEBDAV_HOST: 'server.host',
  TERABOX_WEBDAV_PORT: 'server.port',
  TERABOX_WEBDAV_DATA: 'dataDir',
  TERABOX_WEBDAV_READ_ONLY: 'server.readOnly',
  TERABOX_WEBDAV_LOG_LEVEL: 'log.level',
  TERABOX_WEBDAV_LOG_FORMAT: 'log.format',
  TERABOX_WEBDAV_METRICS_PORT: 'server.metricsPort',
  TERABOX_UPLOAD_PARALLEL: 'upload.parallel',
  TERABOX_UPLOAD_MODE: 'upload.mode',
  TERABOX_WEBDAV_CACHE_MODE: 'cache.mode',
  TERABOX_WEBDAV_CACHE_MAX_BYTES: 'cache.maxBytes',
  TERABOX_DOWNLOAD_PARALLEL: 'download.parallel',
};

/** The environment variable that names a config file (the --config flag wins over it). */
export const CONFIG_FILE_ENV = 'TERABOX_WEBDAV_CONFIG';

/** No settings group has a member called `kind`, so a string `kind` marks a leaf. */
function isLeaf(s: Schema): s is Leaf {
  return typeof (s as Leaf).kind === 'string';
}

function describe(leaf: Leaf): string {
  switch (leaf.kind) {
    case 'int':
      return leaf.max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${leaf.min}` : `an integer from ${leaf.min} to ${leaf.max}`;
    case 'string':
      return leaf.oneOf ? `one of ${leaf.oneOf.map((v) => JSON.stringify(v)).join(', ')}` : leaf.url ? 'an http(s) URL' : 'a string';
    case 'bool':
      return 'true or false';
    case 'strings':
      return 'a list of strings';
    case 'users':
      return 'a list of { "name": ..., "passwordHash": "scrypt$..." } with distinct names and hashes made by `terabox-webdav hash-password`';
    case 'object':
      return 'an object';
  }
}

/** Settings whose values are never echoed in an error: they may hold a cookie or a password. */
const SECRET_SETTINGS = /cookie|users|password/i;

/** Checks one value against its leaf; values from the environment or flags arrive as text and are converted. */
function coerce(leaf: Leaf, value: unknown, fromText: boolean): { ok: true; value: unknown } | { ok: false } {
  switch (leaf.kind) {
    case 'int': {
      const n = fromText && typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
      return typeof n === 'number' && Number.isSafeInteger(n) && n >= leaf.min && n <= leaf.max ? { ok: true, value: n } : { ok: false };
    }
    case 'bool': {
      if (typeof value === 'boolean') return { ok: true, value };
      if (fromText && typeof value === 'string') {
        const v = value.trim().toLowerCase();
        if (['1', 'true', 'yes', 'on'].includes(v)) return { ok: true, value: true };
        if (['0', 'false', 'no', 'off'].includes(v)) return { ok: true, value: false };
      }
      return { ok: false };
    }
    case 'string': {
      if (typeof value !== 'string') return { ok: false };
      if (leaf.oneOf && !leaf.oneOf.includes(value)) return { ok: false };
      if (leaf.url && !/^https?:\/\/[^/\s]+/i.test(value)) return { ok: false };
      return { ok: true, value };
    }
    case 'strings': {
      const list =
        fromText && typeof value === 'string'
          ? value
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : value;
      return Array.isArray(list) && list.every((s) => typeof s === 'string') ? { ok: true, value: list } : { ok: false };
    }
    case 'users': {
      // A hash no login can match, or a second entry of one name, would lock a user out without a word.
      const ok =
        Array.isArray(value) &&
        value.every(
          (u) =>
            u !== null &&
            typeof u === 'object' &&
            typeof (u as UserSetting).name === 'string' &&
            (u as UserSetting).name.length > 0 &&
            !(u as UserSetting).name.includes(':') &&
            typeof (u as UserSetting).passwordHash === 'string' &&
            isPasswordHash((u as UserSetting).passwordHash),
        ) &&
        new Set(value.map((u: UserSetting) => u.name)).size === value.length;
      return ok ? { ok: true, value } : { ok: false };
    }
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? { ok: true, value } : { ok: false };
  }
}

function leafAt(path: string): Leaf {
  let node: Schema = SCHEMA;
  for (const key of path.split('.')) {
    if (isLeaf(node) || !Object.hasOwn(node, key)) throw new ConfigError(`unknown setting "${path}"`);
    node = (node as Branch)[key]!;
  }
  if (!isLeaf(node)) throw new ConfigError(`"${path}" is a group of settings, not a setting`);
  return node;
}

function setAt(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[keys[keys.length - 1]!] = value;
}

/** Applies one setting, checked; `source` says where the value came from, for the error message. */
function apply(target: Record<string, unknown>, path: string, value: unknown, source: string, fromText: boolean): void {
  const leaf = leafAt(path);
  const r = coerce(leaf, value, fromText);
  if (!r.ok) {
    const shown = SECRET_SETTINGS.test(path) ? '(hidden: it may hold a secret)' : JSON.stringify(value);
    throw new ConfigError(`invalid setting ${path} (from ${source}): expected ${describe(leaf)}, got ${shown}`);
  }
  setAt(target, path, r.value);
}

/** Walks a parsed JSON config file and applies each leaf it holds. */
function applyFile(target: Record<string, unknown>, data: unknown, source: string, prefix = ''): void {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`${source}: ${prefix ? `"${prefix}" must be an object` : 'the file must hold a JSON object'}`);
  }
  for (const [key, value] of Object.entries(data)) {
    const path = prefix ? `${prefix}.${key}` : key;
    let node: Schema = SCHEMA;
    for (const k of path.split('.')) {
      if (isLeaf(node) || !Object.hasOwn(node, k)) throw new ConfigError(`${source}: unknown setting "${path}"`);
      node = (node as Branch)[k]!;
    }
    if (isLeaf(node)) apply(target, path, value, source, false);
    else applyFile(target, value, source, path);
  }
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    // V8 quotes the text around the fault (`Unexpected token 'd', ..."cookie": ndus=Y2Y"...`), which
    // may be a cookie: keep its wording and position, never the quoted text.
    const reason = (e as Error).message.replace(/,\s*(?:\.\.\.)?".*$/s, '');
    throw new ConfigError(`config file ${file} is not valid JSON: ${reason}`);
  }
}

/** The project root: the nearest folder above this module holding package.json (works from src/ and dist/src/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new ConfigError('cannot find the project root (package.json)');
    dir = up;
  }
  return dir;
}

export interface LoadConfigInput {
  /** Settings from command-line flags, by setting path (e.g. `server.port`), as given. */
  flags?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** The --config flag. */
  configFile?: string;
  /** Defaults file; config/default.json of the project when absent. */
  defaultsFile?: string;
}

export function loadConfig(input: LoadConfigInput = {}): Config {
  const env = input.env ?? {};
  const defaultsFile = input.defaultsFile ?? join(projectRoot(), 'config', 'default.json');
  const config: Record<string, unknown> = {};
  const defaults = readJson(defaultsFile);
  // The defaults file must define every setting; start from a deep copy of it, checked like any file.
  Object.assign(config, structuredClone(defaults));
  applyFile(config, defaults, defaultsFile);

  const configFile = input.configFile ?? env[CONFIG_FILE_ENV];
  if (configFile) applyFile(config, readJson(resolve(configFile)), resolve(configFile));

  for (const [name, path] of Object.entries(ENV_SETTINGS)) {
    const value = env[name];
    if (value !== undefined && value !== '') apply(config, path, value, `environment variable ${name}`, true);
  }
  for (const [path, value] of Object.entries(input.flags ?? {})) {
    if (value !== undefined) apply(config, path, value, `flag for ${path}`, typeof value === 'string');
  }

  const c = config as unknown as Config;
  const { ladder } = c.upload;
  if (ladder.baseChunkSize > ladder.maxChunkSize) {
    throw new ConfigError('invalid setting upload.ladder: baseChunkSize must not exceed maxChunkSize');
  }
  if (c.terabox.retry.baseDelayMs > c.terabox.retry.maxDelayMs) {
    throw new ConfigError('invalid setting terabox.retry: baseDelayMs must not exceed maxDelayMs');
  }
  c.dataDir = resolve(c.dataDir);
  if (c.upload.spoolDir) c.upload.spoolDir = resolve(c.upload.spoolDir);
  return c;
}
