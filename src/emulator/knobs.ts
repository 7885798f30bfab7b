// Knob defaults and validation: every knob change (options, setKnobs, the admin endpoint) goes
// through mergeKnobs, so a bad value is refused with a message naming it and never half-applied.

import { Errno } from '../terabox/wire.js';
import { MiB } from '../terabox/chunk-size.js';
import type { EmulatorKnobs, EndpointName, FaultRates } from './types.js';

export const ENDPOINT_NAMES: readonly EndpointName[] = [
  'page',
  'check/login',
  'list',
  'filemetas',
  'create',
  'precreate',
  'filemanager',
  'quota',
  'home/info',
  'download',
  'rapidupload',
  'membership',
  'locateupload',
  'superfile2',
  'dlink',
  'data',
  'pcsdownload',
];

const HOUR = 3600_000;

export const DEFAULT_KNOBS: Readonly<EmulatorKnobs> = Object.freeze({
  latencyMs: 0,
  bandwidthBytesPerSec: 0,
  accountDownloadBytesPerSec: 0,
  accountUploadBytesPerSec: 0,
  faults: {},
  faultSeed: 1,
  tokenTtlMs: HOUR,
  dlinkTtlMs: 8 * HOUR,
  // Baidu (TeraBox's parent protocol) refuses 0-byte uploads with errno 2 "parameter error"
  // (OpenList issues #264 and #868); the reference lists nothing TeraBox-specific.
  emptyFileErrno: Errno.PARAM,
  minPartSize: 4 * MiB,
  maxParts: 2048,
  listMaxNum: 1000,
  invalidNameChars: '\\:*?"<>|',
  // Baidu's rule also refuses leading spaces and dots; rclone's TeraBox encoder escapes neither, so
  // both are off unless a test asks (docs/terabox-protocol.md, Names).
  refuseLeadingSpace: false,
  refuseLeadingDot: false,
  uploadIdTtlMs: 7 * 24 * HOUR,
  precreateRapid: 'commit',
  requireUploadSign: false,
  dlinkNeedVerify: false,
  corruptDownloads: false,
  rateLimit: null,
});

function fail(name: string, value: unknown, expected: string): never {
  throw new TypeError(`emulator knob ${name}: ${JSON.stringify(value)} is not ${expected}`);
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(name, value, 'a number ≥ 0');
  return value;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(name, value, 'an integer ≥ 1');
  return value;
}

function isEndpoint(name: string): name is EndpointName {
  return (ENDPOINT_NAMES as readonly string[]).includes(name);
}

function record(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, value, 'an object');
  return value as Record<string, unknown>;
}

function latency(value: unknown): EmulatorKnobs['latencyMs'] {
  if (typeof value === 'number') return nonNegative('latencyMs', value);
  const out: Partial<Record<EndpointName, number>> = {};
  for (const [k, v] of Object.entries(record('latencyMs', value))) {
    if (!isEndpoint(k)) fail('latencyMs', k, `an endpoint name (${ENDPOINT_NAMES.join(', ')})`);
    out[k] = nonNegative(`latencyMs.${k}`, v);
  }
  return out;
}

function faults(value: unknown): EmulatorKnobs['faults'] {
  const out: EmulatorKnobs['faults'] = {};
  for (const [k, v] of Object.entries(record('faults', value))) {
    if (!isEndpoint(k)) fail('faults', k, `an endpoint name (${ENDPOINT_NAMES.join(', ')})`);
    const rates: FaultRates = {};
    for (const [kind, rate] of Object.entries(record(`faults.${k}`, v))) {
      if (kind !== 'http5xx' && kind !== 'reset' && kind !== 'errno31034' && kind !== 'errnoMinus7') {
        fail(`faults.${k}`, kind, 'http5xx, reset, errno31034 or errnoMinus7');
      }
      if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) fail(`faults.${k}.${kind}`, rate, 'a rate in 0..1');
      rates[kind] = rate;
    }
    out[k] = rates;
  }
  return out;
}

function rateLimit(value: unknown): EmulatorKnobs['rateLimit'] {
  if (value === null) return null;
  const r = record('rateLimit', value);
  for (const k of Object.keys(r))
    if (!['callsPerSecond', 'burst', 'answer'].includes(k)) fail('rateLimit', k, 'callsPerSecond, burst or answer');
  const callsPerSecond = r.callsPerSecond;
  if (typeof callsPerSecond !== 'number' || !Number.isFinite(callsPerSecond) || callsPerSecond <= 0)
    fail('rateLimit.callsPerSecond', callsPerSecond, 'a number > 0');
  const burst = r.burst === undefined ? Math.max(1, Math.ceil(callsPerSecond)) : positiveInt('rateLimit.burst', r.burst);
  const answer = r.answer ?? 'errno31034';
  if (answer !== 'errno31034' && answer !== 'http429') fail('rateLimit.answer', answer, 'errno31034 or http429');
  return { callsPerSecond, burst, answer };
}

/** Returns `base` with the valid fields of `patch` applied; throws on any unknown or bad field. */
export function mergeKnobs(base: EmulatorKnobs, patch: unknown): EmulatorKnobs {
  const p = record('knobs', patch ?? {});
  const next: EmulatorKnobs = { ...base };
  for (const [key, value] of Object.entries(p)) {
    if (value === undefined) continue;
    switch (key) {
      case 'latencyMs':
        next.latencyMs = latency(value);
        break;
      case 'faults':
        next.faults = faults(value);
        break;
      case 'faultSeed':
        if (typeof value !== 'number' || !Number.isInteger(value)) fail(key, value, 'an integer');
        next.faultSeed = value;
        break;
      case 'emptyFileErrno':
        // 0 would be a refusal that reads as success: the empty file is not stored.
        if (value !== null && (typeof value !== 'number' || !Number.isInteger(value) || value === 0))
          fail(key, value, 'a non-zero integer or null');
        next.emptyFileErrno = value;
        break;
      case 'invalidNameChars':
        if (typeof value !== 'string' || value.includes('/')) fail(key, value, 'a string without "/"');
        next.invalidNameChars = value;
        break;
      case 'bandwidthBytesPerSec':
      case 'accountDownloadBytesPerSec':
      case 'accountUploadBytesPerSec':
      case 'tokenTtlMs':
      case 'dlinkTtlMs':
      case 'uploadIdTtlMs':
        next[key] = nonNegative(key, value);
        break;
      case 'minPartSize':
      case 'maxParts':
      case 'listMaxNum':
        next[key] = positiveInt(key, value);
        break;
      case 'precreateRapid':
        if (value !== 'commit' && value !== 'bare' && value !== 'no-commit') fail(key, value, 'commit, bare or no-commit');
        next.precreateRapid = value;
        break;
      case 'requireUploadSign':
      case 'dlinkNeedVerify':
      case 'refuseLeadingSpace':
      case 'refuseLeadingDot':
      case 'corruptDownloads':
        if (typeof value !== 'boolean') fail(key, value, 'true or false');
        next[key] = value;
        break;
      case 'rateLimit':
        next.rateLimit = rateLimit(value);
        break;
      default:
        throw new TypeError(`unknown emulator knob ${JSON.stringify(key)}`);
    }
  }
  return next;
}

/** The latency knob resolved for one endpoint. */
export function latencyFor(knobs: EmulatorKnobs, endpoint: EndpointName): number {
  return typeof knobs.latencyMs === 'number' ? knobs.latencyMs : (knobs.latencyMs[endpoint] ?? 0);
}
