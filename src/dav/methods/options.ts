// OPTIONS: the compliance classes and methods, on every path (Windows asks the server root first).

import type { RequestContext } from '../context.js';
import { sendEmpty } from '../respond.js';

const READ_METHODS = ['OPTIONS', 'GET', 'HEAD', 'PROPFIND'];
const WRITE_METHODS = ['PUT', 'DELETE', 'MKCOL', 'COPY', 'MOVE', 'PROPPATCH', 'LOCK', 'UNLOCK'];

export function allowedMethods(readOnly: boolean): string[] {
  return readOnly ? READ_METHODS : [...READ_METHODS, ...WRITE_METHODS];
}

export function isWriteMethod(method: string): boolean {
  return WRITE_METHODS.includes(method);
}

/** The headers that say what the server is; OPTIONS sends them, so do 405 and 501 answers. */
export function capabilityHeaders(readOnly: boolean): Record<string, string> {
  return {
    // Class 2 needs LOCK; a read-only server without it makes Finder mount read-only, as it should.
    DAV: readOnly ? '1' : '1, 2',
    'MS-Author-Via': 'DAV',
    Allow: allowedMethods(readOnly).join(', '),
  };
}

export async function handleOptions(ctx: RequestContext): Promise<void> {
  sendEmpty(ctx.req, ctx.res, 200, { ...capabilityHeaders(ctx.services.readOnly), 'Accept-Ranges': 'bytes' });
}
