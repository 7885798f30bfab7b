// One request as handlers see it: its endpoint, parameters, the account behind its cookie, and the
// ways to answer (TeraBox JSON, PCS JSON, bytes, streams). Every answer goes through here so the
// stats (errors, bytes out) and the bandwidth cap apply uniformly.

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Errno } from '../../terabox/wire.js';
import type { EmulatorCore } from '../core.js';
import type { FaultKind } from '../faults.js';
import type { Account } from '../store/accounts.js';
import type { EndpointName, EndpointStats } from '../types.js';
import { accountPacesOf, Meter, pacesOf, type Pace } from './meter.js';
import { readParams, type Params } from './params.js';

export interface ListenerInfo {
  /** null for the main listener. */
  region: string | null;
  /** host:port clients reach this listener at. */
  host: string;
  /** host:port of the region's own upload listener, which locateupload names (options.regionUploadHosts). */
  uploadHost?: string;
}

/** The PCS hosts answer errors with these HTTP statuses (TeraBox's /api/* always answers 200). */
const PCS_STATUS: Record<number, number> = {
  31023: 400,
  31208: 400,
  31299: 400,
  31045: 403,
  31034: 403,
  31360: 403,
  31362: 403,
  31363: 404,
  31066: 404,
};

export class Ctx {
  readonly requestId: number;
  readonly stats: EndpointStats;
  /** The fault drawn for this request, for handlers that inject it mid-body (superfile2, data). */
  fault: FaultKind | null = null;
  /** The account whose per-account caps apply to this request's bodies (see throttleAccount). */
  private capped: string | null = null;
  /** Counts the response body bytes sent for this request (the per-download stats). */
  sentTo: { bytes: number } | null = null;
  private paramsPromise: Promise<Params> | null = null;

  constructor(
    readonly emu: EmulatorCore,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly url: URL,
    readonly endpoint: EndpointName,
    readonly listener: ListenerInfo,
    /** Reached through a /rest/2.0/xpan/file alias (needs jsToken and bdstoken). */
    readonly xpan: boolean,
  ) {
    this.requestId = emu.nextRequestId();
    this.stats = emu.stats.of(endpoint);
  }

  get socket(): Socket {
    return this.req.socket;
  }

  /** Base URL of the listener this request came in on. */
  get origin(): string {
    return `http://${this.listener.host}`;
  }

  private hasBody(): boolean {
    const len = this.req.headers['content-length'];
    return (len !== undefined && len !== '0') || this.req.headers['transfer-encoding'] !== undefined;
  }

  /** From now on this request's bodies also count against the account's caps (upload/download knobs). */
  throttleAccount(account: string | number): void {
    this.capped = String(account);
  }

  private shared(dir: 'in' | 'out'): { pace: Pace; rate: () => number } | undefined {
    if (this.capped === null) return undefined;
    const pace = accountPacesOf(this.emu, this.capped)[dir];
    return { pace, rate: () => (dir === 'in' ? this.emu.knobs.accountUploadBytesPerSec : this.emu.knobs.accountDownloadBytesPerSec) };
  }

  /** The request body, metered (bytes in, bandwidth cap); cut off after `cutAfter` bytes (reset fault). */
  body(cutAfter?: number): Readable {
    const meter = new Meter({
      pace: pacesOf(this.socket).in,
      shared: this.shared('in'),
      rate: () => this.emu.knobs.bandwidthBytesPerSec,
      count: (n) => (this.stats.bytesIn += n),
      cutAfter,
      onCut: () => this.reset(),
    });
    pipeline(this.req, meter).catch((e: unknown) => meter.destroy(e as Error));
    return meter;
  }

  params(): Promise<Params> {
    this.paramsPromise ??= readParams(this.url.searchParams, this.req.headers, this.hasBody() ? this.body() : null);
    return this.paramsPromise;
  }

  /** Destroys the connection without an answer (the reset fault). */
  reset(): void {
    this.stats.errors++;
    // A short delay lets bytes already written reach the client, so it sees a truncated body.
    setTimeout(() => this.socket.destroy(), 20).unref();
  }

  /** A TeraBox /api answer: HTTP 200 with errno (and request_id added). */
  json(body: Record<string, unknown>, status = 200, headers: OutgoingHttpHeaders = {}): Promise<void> {
    const withId = { ...body, request_id: this.requestId };
    const failed = (typeof body.errno === 'number' && body.errno !== 0) || (typeof body.error_code === 'number' && body.error_code !== 0);
    if (failed && status < 400) this.stats.errors++;
    return this.send(status, { 'content-type': 'application/json; charset=utf-8', ...headers }, JSON.stringify(withId));
  }

  /** An /api error answer. */
  fail(errno: number, errmsg = '', extra: Record<string, unknown> = {}, headers: OutgoingHttpHeaders = {}): Promise<void> {
    return this.json({ errno, errmsg, ...extra }, 200, headers);
  }

  /** A PCS-host error answer (error_code / error_msg). */
  pcsFail(code: number, msg: string, headers: OutgoingHttpHeaders = {}): Promise<void> {
    return this.json({ error_code: code, error_msg: msg }, PCS_STATUS[code] ?? 400, headers);
  }

  /** Answers a whole body; HEAD requests get the headers only. */
  send(status: number, headers: OutgoingHttpHeaders, body: string | Buffer): Promise<void> {
    const buf = typeof body === 'string' ? Buffer.from(body) : body;
    return this.stream(status, { 'content-length': buf.length, ...headers }, Readable.from([buf]));
  }

  /** Streams a body (metered); `cutAfter` destroys the connection after that many body bytes. */
  async stream(status: number, headers: OutgoingHttpHeaders, source: Readable, cutAfter?: number): Promise<void> {
    if (status >= 400) this.stats.errors++;
    this.res.writeHead(status, { 'x-request-id': String(this.requestId), ...headers });
    if (this.req.method === 'HEAD') {
      source.destroy();
      this.res.end();
      return;
    }
    const meter = new Meter({
      pace: pacesOf(this.socket).out,
      shared: this.shared('out'),
      rate: () => this.emu.knobs.bandwidthBytesPerSec,
      count: (n) => {
        this.stats.bytesOut += n;
        if (this.sentTo) this.sentTo.bytes += n;
      },
      cutAfter,
      onCut: () => this.reset(),
    });
    await pipeline(source, meter, this.res).catch(() => {
      // The client went away or the reset fault cut the body: nothing more to do.
      source.destroy();
    });
  }

  /**
   * The account behind the request's cookie, or null after answering the error: -6 without a known
   * ndus; -6 plus the region header when the account belongs to another region's host. PCS paths
   * answer error_code style (31045 "user not exists" for the wrong region, as TeraBox's upload hosts do).
   */
  async account(style: 'api' | 'pcs' = 'api'): Promise<Account | null> {
    const account = this.emu.accounts.byCookie(this.req.headers.cookie);
    if (!account) {
      if (style === 'pcs') await this.pcsFail(Errno.NOT_LOGGED_IN, 'user not login');
      else await this.fail(Errno.NOT_LOGGED_IN, 'need login');
      return null;
    }
    if (account.region !== null && account.region !== this.listener.region) {
      const headers: OutgoingHttpHeaders = { 'url-domain-prefix': account.region };
      if (this.endpoint === 'check/login') headers['region-domain-prefix'] = account.region;
      if (style === 'pcs') await this.pcsFail(Errno.USER_NOT_EXISTS, 'user not exists', headers);
      else await this.fail(Errno.NOT_LOGGED_IN, 'need login', {}, headers);
      return null;
    }
    return account;
  }

  /**
   * Answers 4000023 / 450016 (and false) unless the request carries a live jsToken of the account.
   * The xpan aliases also need the account's bdstoken (the seed calls it required); without it they
   * answer errno 2, the parameter error.
   */
  async requireTokens(account: Account, params: Params): Promise<boolean> {
    if (this.xpan && params.get('bdstoken') !== account.bdstoken) {
      await this.fail(Errno.PARAM, 'bdstoken required');
      return false;
    }
    if (this.emu.tokens.valid(account.id, params.get('jsToken'), Date.now())) return true;
    if (this.endpoint === 'filemanager') await this.fail(Errno.JS_TOKEN_FILEMANAGER, 'jsToken invalid');
    else await this.fail(Errno.NEED_VERIFY, 'need verify');
    return false;
  }
}
