// PROPFIND: Depth 0, 1 or infinity, allprop/propname/named properties, one drive listing for a whole
// Depth 1 answer and one query for all its dead properties. Depth infinity walks the tree through the
// drive's (cached) listings up to a configured number of entries (403 propfind-finite-depth above it)
// and streams the answer in batches.

import { once } from 'node:events';
import type { RequestContext } from '../context.js';
import type { DeadProp } from '../dead-props.js';
import { multistatus, propstatResponse, type Propstat } from '../multistatus.js';
import { XML_DECLARATION } from '../xml.js';
import type { Entry } from '../../drive/types.js';
import { withTrueRootDates } from '../root-dates.js';
import { hrefFor } from '../paths.js';
import { isQuotaProp, liveNames, liveValue, type PropName, type ResourceView } from '../props.js';
import { headerValue } from '../headers.js';
import { sendXml } from '../respond.js';
import { DavError, driveErrorToDav } from '../status.js';
import { listVisibleMembers } from '../well-known.js';
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

function parseDepth(value: string | undefined): 0 | 1 | 'infinity' {
  const v = value?.trim().toLowerCase();
  if (v === '0') return 0;
  if (v === '1') return 1;
  // RFC 4918 §9.1: no Depth header means infinity.
  if (v === undefined || v === 'infinity') return 'infinity';
  throw new DavError(400, `Bad Depth: ${value}`);
}

/** Resources rendered per dead-property query and per write of a streamed answer. */
const STREAM_BATCH = 200;

export async function handlePropfind(ctx: RequestContext): Promise<void> {
  const depth = parseDepth(headerValue(ctx.req.headers, 'depth'));
  const request = parseRequest(await ctx.readXml());
  const found = await ctx.targetState();
  if (!found) throw new DavError(404, `${ctx.path} does not exist`);
  if (depth === 'infinity' && found.isDir) return streamTree(ctx, request, found);
  const members = depth === 1 && found.isDir ? await listVisibleMembers(ctx.drive, found.path) : [];
  const entry = await withTrueRootDates(ctx.drive, found, depth === 1 ? members : undefined);
  const resources = [entry, ...members];

  const quota = await quotaIfWanted(ctx, request);
  const now = Date.now();
  sendXml(ctx.req, ctx.res, 207, multistatus(render(ctx, request, resources, quota, now)));
}

function render(ctx: RequestContext, request: PropfindRequest, resources: Entry[], quota: ResourceView['quota'], now: number): string[] {
  const dead = ctx.services.deadProps.listMany(resources.map((r) => r.path));
  return resources.map((r) => {
    const view: ResourceView = { entry: r, locks: () => ctx.services.locks.covering(r.path), quota, now };
    return propstatResponse(hrefFor(r.path, r.isDir), propstats(request, view, dead.get(r.path) ?? []));
  });
}

async function quotaIfWanted(ctx: RequestContext, request: PropfindRequest): Promise<ResourceView['quota']> {
  const wanted = request.kind === 'prop' ? request.names : request.kind === 'allprop' ? request.include : [];
  return wanted.some(isQuotaProp) ? await quotaOrStatus(ctx) : undefined;
}

/**
 * Depth infinity on a collection: the whole tree, breadth first, from the drive's listings. The walk
 * finishes (and is refused with 403 propfind-finite-depth when it exceeds the cap) before the first
 * byte is sent, so the status is honest; the rendering then streams out in batches with backpressure.
 */
async function streamTree(ctx: RequestContext, request: PropfindRequest, root: Entry): Promise<void> {
  const max = ctx.services.propfindMaxEntries;
  const refuse = () =>
    new DavError(403, `PROPFIND Depth: infinity would list more than ${max} resources; ask with Depth: 1`, {
      condition: 'propfind-finite-depth',
    });
  const resources: Entry[] = [root];
  for (let i = 0; i < resources.length; i++) {
    const dir = resources[i]!;
    if (!dir.isDir) continue;
    if (ctx.signal.aborted) return;
    let members: Entry[];
    try {
      members = await listVisibleMembers(ctx.drive, dir.path);
    } catch (e) {
      // A folder deleted while the walk ran is simply not there any more.
      if (i > 0 && isDriveError(e) && (e.code === 'NOT_FOUND' || e.code === 'NOT_A_DIRECTORY')) continue;
      throw e;
    }
    if (resources.length + members.length > max) throw refuse();
    resources.push(...members);
  }
  resources[0] = await withTrueRootDates(
    ctx.drive,
    root,
    resources.filter((r) => r.path !== root.path && !r.path.slice(1).includes('/')),
  );
  const quota = await quotaIfWanted(ctx, request);
  const now = Date.now();
  const { res } = ctx;
  res.writeHead(207, { 'Content-Type': 'application/xml; charset=utf-8' });
  const write = async (text: string) => {
    if (!res.write(text)) await once(res, 'drain', { signal: ctx.signal });
  };
  await write(`${XML_DECLARATION}<D:multistatus xmlns:D="DAV:">`);
  for (let i = 0; i < resources.length; i += STREAM_BATCH) {
    await write(render(ctx, request, resources.slice(i, i + STREAM_BATCH), quota, now).join(''));
  }
  res.end('</D:multistatus>');
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
