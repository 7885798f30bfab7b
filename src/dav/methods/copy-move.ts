// COPY and MOVE: done by the drive server-side; dead properties follow (copied or moved), locks do not.

import type { RequestContext } from '../context.js';
import { overwriteFalseMeansTrue } from '../client-quirks.js';
import { assertWritable, type WriteScope } from '../lock-guard.js';
import { decodeUriReference } from '../paths.js';
import { sendEmpty } from '../respond.js';
import { headerValue } from '../headers.js';
import { DavError } from '../status.js';
import { isWellKnownPath } from '../well-known.js';

function parseOverwrite(value: string | undefined): boolean {
  if (value === undefined) return true; // RFC 4918 §10.6: absent means T
  const v = value.trim().toUpperCase();
  if (v !== 'T' && v !== 'F') throw new DavError(400, 'Overwrite must be T or F');
  return v === 'T';
}

function parseDepth(value: string | undefined, method: string): 0 | 'infinity' {
  const v = value?.trim().toLowerCase();
  if (v === undefined || v === 'infinity') return 'infinity';
  if (v === '0' && method === 'COPY') return 0;
  throw new DavError(400, `${method} does not support Depth: ${value}`);
}

/** The host name of an authority (`user@host:port`), lower case, without user or port; `[::1]` keeps its brackets. */
function hostNameOf(authority: string): string {
  const a = authority.trim().toLowerCase().replace(/^.*@/, '');
  return /^(\[[^\]]*\]|[^:]*)/.exec(a)?.[1] ?? a;
}

/**
 * A Destination on another server is not ours to write (RFC 4918 §9.8.4: 502). An absolute URI must
 * name the request's own host or the host of the configured public URL (server.publicUrl, for reverse
 * proxies that rewrite Host); a path-only Destination is always ours. Host names are compared without
 * ports and schemes: a proxy terminating HTTPS changes both, and nginx's `$host` drops the port.
 */
function assertLocalDestination(ctx: RequestContext, value: string): void {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(value.trim());
  if (!m) return;
  const name = hostNameOf(m[1] ?? '');
  const host = ctx.req.headers.host;
  const own = host !== undefined && hostNameOf(host) === name;
  const pub = ctx.services.publicAuthority;
  const published = pub !== undefined && hostNameOf(pub) === name;
  if (!own && !published) {
    throw new DavError(502, `The Destination ${m[0]} is on another server; set server.publicUrl if it is this drive's public address`);
  }
}

export async function handleCopyMove(ctx: RequestContext): Promise<void> {
  const { req, method, path } = ctx;
  const destHeader = headerValue(req.headers, 'destination');
  if (destHeader === undefined) throw new DavError(400, `${method} needs a Destination header`);
  const dest = decodeUriReference(destHeader, ctx.target).path;
  if (isWellKnownPath(dest)) throw new DavError(403, `${method} into the drive's reserved status pages is not allowed`);
  assertLocalDestination(ctx, destHeader);
  const overwrite =
    parseOverwrite(headerValue(req.headers, 'overwrite')) || overwriteFalseMeansTrue(headerValue(req.headers, 'user-agent'));
  const depth = parseDepth(headerValue(req.headers, 'depth'), method);

  if (!(await ctx.targetState())) throw new DavError(404, `${path} does not exist`);
  const destExists = (await ctx.drive.stat(dest)) !== null;
  const destScope: WriteScope = destExists ? { trees: [dest] } : { resources: [dest], members: [dest] };
  const scope: WriteScope =
    method === 'MOVE'
      ? { trees: [path, ...(destScope.trees ?? [])], members: [path, ...(destScope.members ?? [])], resources: destScope.resources }
      : destScope;
  assertWritable(ctx, scope);

  const { deadProps, locks } = ctx.services;
  let created: boolean;
  if (method === 'MOVE') {
    ({ created } = await ctx.drive.move(path, dest, { overwrite }));
    deadProps.moveTree(path, dest);
    locks.removeWithin(path);
  } else {
    ({ created } = await ctx.drive.copy(path, dest, { overwrite, depth }));
    deadProps.copyTree(path, dest, depth);
  }
  // A replaced destination tree took its members' locks with it; a lock on the destination itself stays.
  if (destExists) for (const lock of locks.within(dest)) if (lock.root !== dest) locks.remove(lock.token);
  sendEmpty(req, ctx.res, created ? 201 : 204);
}
