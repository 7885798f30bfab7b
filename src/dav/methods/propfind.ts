// PROPFIND: Depth 0 or 1 (infinity is refused, as Apache does), allprop/propname/named properties,
// one drive listing for a whole Depth 1 answer and one query for all its dead properties.

import type { RequestContext } from '../context.js';
import type { DeadProp } from '../dead-props.js';
import { multistatus, propstatResponse, type Propstat } from '../multistatus.js';
import { hrefFor } from '../paths.js';
import { isQuotaProp, liveNames, liveValue, type PropName, type ResourceView } from '../props.js';
import { headerValue } from '../headers.js';
import { sendXml } from '../respond.js';
import { DavError, driveErrorToDav } from '../status.js';
import { isWellKnownPath } from '../well-known.js';
import { isDriveError } from '../../drive/types.js';
import { DAV_NS, childElements, findChild, isElement, propertyElement, type XmlElement } from '../xml.js';

type PropfindRequest = { kind: 'allprop'; include: PropName[] } | { kind: 'propname' } | { kind: 'prop'; names: PropName[] };

function namesIn(el: XmlElement): PropName[] {
  return childElements(el).map((c) => ({ ns: c.ns, name: c.name }));
}

function parseRequest(doc: XmlElement | null): PropfindRequest {
  if (doc === null) return { kind: 'allprop', include: [] };
  if (!isElement(doc, DAV_NS, 'propfind')) throw new DavError(400, 'PROPFIND body must be a DAV:propfind element');
  // Unknown elements are ignored (RFC 4918 §17: extensibility).
  const prop = findChild(doc, DAV_NS, 'prop');
  if (prop) return { kind: 'prop', names: namesIn(prop) };
  if (findChild(doc, DAV_NS, 'propname')) return { kind: 'propname' };
  if (findChild(doc, DAV_NS, 'allprop')) {
    const include = findChild(doc, DAV_NS, 'include');
    return { kind: 'allprop', include: include ? namesIn(include) : [] };
  }
  throw new DavError(400, 'PROPFIND body names no prop, propname or allprop');
}

function parseDepth(value: string | undefined): 0 | 1 {
  const v = value?.trim().toLowerCase();
  if (v === '0') return 0;
  if (v === '1') return 1;
  if (v === undefined || v === 'infinity') {
    throw new DavError(403, 'PROPFIND with Depth: infinity is not allowed', { condition: 'propfind-finite-depth' });
  }
  throw new DavError(400, `Bad Depth: ${value}`);
}

export async function handlePropfind(ctx: RequestContext): Promise<void> {
  const depth = parseDepth(headerValue(ctx.req.headers, 'depth'));
  const request = parseRequest(await ctx.readXml());
  const entry = await ctx.targetState();
  if (!entry) throw new DavError(404, `${ctx.path} does not exist`);
  // The reserved prefix is the drive's own, never a listed member, whatever TeraBox holds there.
  const members = depth === 1 && entry.isDir ? (await ctx.drive.list(entry.path)).filter((m) => !isWellKnownPath(m.path)) : [];
  const resources = [entry, ...members];

  const wanted = request.kind === 'prop' ? request.names : request.kind === 'allprop' ? request.include : [];
  const quota = wanted.some(isQuotaProp) ? await quotaOrStatus(ctx) : undefined;
  const dead = ctx.services.deadProps.listMany(resources.map((r) => r.path));
  const now = Date.now();
  const responses = resources.map((r) => {
    const view: ResourceView = { entry: r, locks: () => ctx.services.locks.covering(r.path), quota, now };
    return propstatResponse(hrefFor(r.path, r.isDir), propstats(request, view, dead.get(r.path) ?? []));
  });
  sendXml(ctx.req, ctx.res, 207, multistatus(responses));
}

async function quotaOrStatus(ctx: RequestContext): Promise<ResourceView['quota']> {
  try {
    return await ctx.drive.quota();
  } catch (e) {
    if (!isDriveError(e) || e.code === 'ABORTED') throw e;
    ctx.services.logger.warn({ err: e.message }, 'quota lookup failed');
    return { status: driveErrorToDav(e.code, ctx.method, e.message).status };
  }
}

function propstats(request: PropfindRequest, view: ResourceView, dead: DeadProp[]): Propstat[] {
  const groups = new Map<number, string[]>();
  const add = (status: number, xml: string) => {
    const list = groups.get(status);
    if (list) list.push(xml);
    else groups.set(status, [xml]);
  };
  const deadByKey = new Map(dead.map((d) => [`${d.ns}\n${d.name}`, d]));

  const addNamed = (p: PropName) => {
    const live = liveValue(p, view);
    if (live.status !== 404) return add(live.status, propertyElement(p.ns, p.name, 'inner' in live ? live.inner : ''));
    const d = deadByKey.get(`${p.ns}\n${p.name}`);
    add(d ? 200 : 404, propertyElement(p.ns, p.name, d ? d.value : ''));
  };

  if (request.kind === 'prop') {
    for (const p of request.names) addNamed(p);
  } else if (request.kind === 'propname') {
    for (const p of liveNames('all')) if (liveValue(p, view).status === 200) add(200, propertyElement(p.ns, p.name, ''));
    for (const d of dead) add(200, propertyElement(d.ns, d.name, ''));
  } else {
    for (const p of liveNames('allprop')) {
      const v = liveValue(p, view);
      if ('inner' in v) add(200, propertyElement(p.ns, p.name, v.inner));
    }
    for (const d of dead) add(200, propertyElement(d.ns, d.name, d.value));
    const seen = new Set([...liveNames('allprop').map((p) => `${p.ns}\n${p.name}`), ...deadByKey.keys()]);
    for (const p of request.include) if (!seen.has(`${p.ns}\n${p.name}`)) addNamed(p);
  }
  return [...groups].map(([status, props]) => ({ status, props }));
}
