// PROPPATCH: sets and removes dead properties in any namespace (Windows' Win32* ones included), in
// document order and atomically: one protected property fails the whole request (RFC 4918 §9.2).

import type { RequestContext } from '../context.js';
import type { PropPatchOp } from '../dead-props.js';
import { assertWritable } from '../lock-guard.js';
import { multistatus, propstatResponse, type Propstat } from '../multistatus.js';
import { hrefFor } from '../paths.js';
import { isLiveProp, type PropName } from '../props.js';
import { sendXml } from '../respond.js';
import { DavError } from '../status.js';
import { DAV_NS, childElements, findChild, isElement, propertyElement, serializeFragment, type XmlElement } from '../xml.js';

function parseOps(doc: XmlElement): PropPatchOp[] {
  const ops: PropPatchOp[] = [];
  for (const block of childElements(doc)) {
    if (block.ns !== DAV_NS || (block.name !== 'set' && block.name !== 'remove')) continue;
    const prop = findChild(block, DAV_NS, 'prop');
    if (!prop) throw new DavError(400, `DAV:${block.name} without DAV:prop`);
    for (const p of childElements(prop)) {
      ops.push(
        block.name === 'set'
          ? { op: 'set', prop: { ns: p.ns, name: p.name, value: serializeFragment(p.children) } }
          : { op: 'remove', ns: p.ns, name: p.name },
      );
    }
  }
  return ops;
}

export async function handleProppatch(ctx: RequestContext): Promise<void> {
  const doc = (await ctx.readXml()) ?? undefined;
  if (!isElement(doc, DAV_NS, 'propertyupdate')) throw new DavError(400, 'PROPPATCH body must be a DAV:propertyupdate element');
  const entry = await ctx.targetState();
  if (!entry) throw new DavError(404, `${ctx.path} does not exist`);
  assertWritable(ctx, { resources: [ctx.path] });

  const ops = parseOps(doc);
  const names = new Map<string, PropName>();
  for (const op of ops) {
    const name = op.op === 'set' ? op.prop : op;
    names.set(`${name.ns}\n${name.name}`, { ns: name.ns, name: name.name });
  }
  const refused = [...names.values()].filter(isLiveProp);
  const element = (p: PropName) => propertyElement(p.ns, p.name, '');
  let propstats: Propstat[];
  if (refused.length > 0) {
    const rest = [...names.values()].filter((p) => !isLiveProp(p));
    propstats = [
      { status: 403, props: refused.map(element), error: '<D:cannot-modify-protected-property/>' },
      { status: 424, props: rest.map(element) },
    ];
  } else {
    ctx.services.deadProps.patch(ctx.path, ops);
    propstats = [{ status: 200, props: [...names.values()].map(element) }];
  }
  sendXml(ctx.req, ctx.res, 207, multistatus([propstatResponse(hrefFor(entry.path, entry.isDir), propstats)]));
}
