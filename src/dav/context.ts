// The per-request state every method handler receives: the decoded target, the user, the stores,
// the client-gone signal, the submitted lock tokens, and body reading that honours 100-continue.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Drive, Entry } from '../drive/types.js';
import type { DriveStatus } from '../drive/status.js';
import type { Logger } from '../log.js';
import { readBody } from './body.js';
import type { DeadPropStore } from './dead-props.js';
import type { LockStore } from './locks.js';
import type { DavPath } from './paths.js';
import { parseXml, type XmlElement } from './xml.js';

/** Everything shared by all requests of one handler. */
export interface DavServices {
  drive: Drive;
  deadProps: DeadPropStore;
  locks: LockStore;
  readOnly: boolean;
  maxXmlBodyBytes: number;
  lockMaxTimeoutSeconds: number;
  /** How long a request body or a response may stall on the client before the request is dropped. */
  bodyIdleTimeoutMs: number;
  /** The status snapshot, for the one-line summary on directory indexes. */
  status?: () => Promise<DriveStatus>;
  /** The authority of server.publicUrl (lower case), which a Destination may name besides Host. */
  publicAuthority?: string;
  /** The cap on one PROPFIND Depth: infinity answer. */
  propfindMaxEntries: number;
  logger: Logger;
}

export class RequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  readonly target: DavPath;
  readonly user: string | null;
  readonly services: DavServices;
  /** Aborted when the client goes away before the response is complete. */
  readonly signal: AbortSignal;
  /** Lock tokens the client submitted (If header lists that held, Lock-Token). */
  submittedTokens = new Set<string>();
  private pendingContinue: boolean;
  private targetEntry?: Promise<Entry | null>;

  constructor(opts: {
    req: IncomingMessage;
    res: ServerResponse;
    target: DavPath;
    user: string | null;
    services: DavServices;
    signal: AbortSignal;
    continuePending: boolean;
  }) {
    this.req = opts.req;
    this.res = opts.res;
    this.method = (opts.req.method ?? '').toUpperCase();
    this.target = opts.target;
    this.user = opts.user;
    this.services = opts.services;
    this.signal = opts.signal;
    this.pendingContinue = opts.continuePending;
  }

  get path(): string {
    return this.target.path;
  }

  get drive(): Drive {
    return this.services.drive;
  }

  /** The client sent `Expect: 100-continue` and has not been told to go on yet. */
  get awaitingContinue(): boolean {
    return this.pendingContinue;
  }

  /** Sends the interim 100 Continue once, if the client asked for it and is still waiting. */
  sendContinue(): void {
    if (!this.pendingContinue || this.res.headersSent) return;
    this.pendingContinue = false;
    this.res.writeContinue();
  }

  /** The target's state when the request began (one stat, shared by the steps of the request). */
  targetState(): Promise<Entry | null> {
    // A trailing slash names a collection, so on a file it names nothing (a file system's ENOTDIR;
    // Apache answers 404 too): `DELETE /f.txt/` must not delete f.txt.
    this.targetEntry ??= this.drive.stat(this.path).then((e) => (e && this.target.trailingSlash && !e.isDir ? null : e));
    return this.targetEntry;
  }

  /** The XML request body, or null when there is none. Size-capped; malformed XML is a 400. */
  async readXml(): Promise<XmlElement | null> {
    const body = await readBody(
      this.req,
      this.services.maxXmlBodyBytes,
      this.services.bodyIdleTimeoutMs,
      () => this.sendContinue(),
      this.res,
    );
    return body.length === 0 || body.toString('utf8').trim() === '' ? null : parseXml(body);
  }
}
