// Live properties (RFC 4918 §15, RFC 4331 quota): which exist, which allprop returns, and their
// values for a drive entry, including the lockdiscovery rendering LOCK responses reuse.

import type { Entry, Quota } from '../drive/types.js';
import type { ActiveLock } from './locks.js';
import { hrefFor } from './paths.js';
import { DAV_NS, escapeText } from './xml.js';

export interface PropName {
  ns: string;
  name: string;
}

/** What a live property needs to know about one resource. */
export interface ResourceView {
  entry: Entry;
  /** Live locks that apply to the resource; a query, so it runs only when lockdiscovery is wanted. */
  locks: () => ActiveLock[];
  /** The account quota, or the status its lookup failed with; absent when no quota prop was asked. */
  quota?: Quota | { status: number };
  now: number;
}

/** A property's value as inner XML with status 200, or the status to report it under. */
export type PropValue = { status: 200; inner: string } | { status: number };

const NOT_FOUND: PropValue = { status: 404 };

function ok(inner: string): PropValue {
  return { status: 200, inner };
}

function quotaValue(view: ResourceView, bytesOf: (q: Quota) => number): PropValue {
  const q = view.quota;
  if (q === undefined) return NOT_FOUND;
  return 'status' in q ? { status: q.status } : ok(String(Math.max(0, Math.floor(bytesOf(q)))));
}

/** ISO 8601 without milliseconds (RFC 4918 §15.1 uses RFC 3339 date-time). */
function isoDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

interface LiveProp {
  name: string;
  /** Returned by allprop (RFC 4331 quota properties are not). */
  inAllprop: boolean;
  value(view: ResourceView): PropValue;
}

const SUPPORTED_LOCK =
  '<D:lockentry><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>' +
  '<D:lockentry><D:lockscope><D:shared/></D:lockscope><D:locktype><D:write/></D:locktype></D:lockentry>';

const LIVE_PROPS: LiveProp[] = [
  { name: 'resourcetype', inAllprop: true, value: (v) => ok(v.entry.isDir ? '<D:collection/>' : '') },
  { name: 'displayname', inAllprop: true, value: (v) => ok(escapeText(v.entry.name)) },
  { name: 'getcontentlength', inAllprop: true, value: (v) => (v.entry.isDir ? NOT_FOUND : ok(String(v.entry.size))) },
  { name: 'getlastmodified', inAllprop: true, value: (v) => ok(v.entry.mtime.toUTCString()) },
  { name: 'creationdate', inAllprop: true, value: (v) => ok(isoDate(v.entry.ctime)) },
  { name: 'getetag', inAllprop: true, value: (v) => ok(escapeText(v.entry.etag)) },
  {
    name: 'getcontenttype',
    inAllprop: true,
    value: (v) => (v.entry.isDir ? NOT_FOUND : ok(escapeText(v.entry.contentType ?? 'application/octet-stream'))),
  },
  { name: 'supportedlock', inAllprop: true, value: () => ok(SUPPORTED_LOCK) },
  { name: 'lockdiscovery', inAllprop: true, value: (v) => ok(lockDiscoveryInner(v.locks(), v.entry, v.now)) },
  { name: 'quota-available-bytes', inAllprop: false, value: (v) => quotaValue(v, (q) => q.available) },
  { name: 'quota-used-bytes', inAllprop: false, value: (v) => quotaValue(v, (q) => q.used) },
];

const BY_NAME = new Map(LIVE_PROPS.map((p) => [p.name, p]));

export function isLiveProp(p: PropName): boolean {
  return p.ns === DAV_NS && BY_NAME.has(p.name);
}

export function isQuotaProp(p: PropName): boolean {
  return p.ns === DAV_NS && p.name.startsWith('quota-') && BY_NAME.has(p.name);
}

/** The live property names allprop returns, or (propname) all of them. */
export function liveNames(only: 'allprop' | 'all'): PropName[] {
  return LIVE_PROPS.filter((p) => only === 'all' || p.inAllprop).map((p) => ({ ns: DAV_NS, name: p.name }));
}

/** The value of a live property for a resource, or 404 for names that are not live here. */
export function liveValue(p: PropName, view: ResourceView): PropValue {
  const live = p.ns === DAV_NS ? BY_NAME.get(p.name) : undefined;
  return live ? live.value(view) : NOT_FOUND;
}

/** One DAV:activelock (RFC 4918 §14.1); `rootIsDir` gives the lockroot href its trailing slash. */
export function activeLockXml(lock: ActiveLock, rootIsDir: boolean, now: number): string {
  const remaining = Math.max(0, Math.ceil((lock.expiresAt - now) / 1000));
  return (
    '<D:activelock>' +
    '<D:locktype><D:write/></D:locktype>' +
    `<D:lockscope><D:${lock.scope}/></D:lockscope>` +
    `<D:depth>${lock.depth === 0 ? '0' : 'infinity'}</D:depth>` +
    (lock.owner === '' ? '' : `<D:owner>${lock.owner}</D:owner>`) +
    `<D:timeout>Second-${remaining}</D:timeout>` +
    `<D:locktoken><D:href>${escapeText(lock.token)}</D:href></D:locktoken>` +
    `<D:lockroot><D:href>${escapeText(hrefFor(lock.root, rootIsDir))}</D:href></D:lockroot>` +
    '</D:activelock>'
  );
}

/** The activelocks of a resource; a lock rooted elsewhere is rooted on an ancestor collection. */
function lockDiscoveryInner(locks: ActiveLock[], entry: Entry, now: number): string {
  return locks.map((l) => activeLockXml(l, l.root === entry.path ? entry.isDir : true, now)).join('');
}
