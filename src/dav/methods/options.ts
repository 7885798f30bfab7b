// OPTIONS: the compliance classes and methods, the same on every path (Windows asks the server root
// first). The answer depends on nothing but the server's settings, so it may go to anyone.

import type { IncomingMessage, ServerResponse } from 'node:http';
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

/**
 * Answers OPTIONS for any target, `*` included, without looking at the path or the drive: the same
 * headers whether the path exists or not, and whoever asks (see publicMethod in auth.ts).
 */
export function sendOptions(req: IncomingMessage, res: ServerResponse, readOnly: boolean): void {
  sendEmpty(req, res, 200, { ...capabilityHeaders(readOnly), 'Accept-Ranges': 'bytes' });
}
