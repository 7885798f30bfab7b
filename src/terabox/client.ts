// The TeraBox API client: TeraBoxApi over undici, plus the raw calls that are useful on their own.
// Each method delegates to the module for its concern; this file only wires them together.

import type {
  AccountInfo,
  ByteRange,
  CreateRequest,
  DownloadLink,
  DownloadResponse,
  MoveItem,
  PrecreateRequest,
  PrecreateResult,
  Quota,
  RapidUploadRequest,
  RemoteEntry,
  TeraBoxApi,
  TransferOptions,
  UploadPartRequest,
  UploadPartResult,
} from './api.js';
import * as accountCalls from './account-calls.js';
import { ApiCaller } from './caller.js';
import type { ClientContext } from './context.js';
import { normaliseCookie } from './cookie.js';
import * as downloads from './download.js';
import * as fileCalls from './file-calls.js';
import * as filemanager from './filemanager.js';
import { HealthTracker, type TeraBoxHealth } from './health.js';
import { HttpTransport } from './http.js';
import { ApiPacer } from './pacing.js';
import { resolveOptions, type TeraBoxClientOptions } from './options.js';
import { assertValidNames } from './paths.js';
import { withRetry } from './retry.js';
import { Session } from './session.js';
import * as uploadCalls from './upload-calls.js';
import { fetchPageTokens } from './web-page.js';

export type { TeraBoxClientOptions } from './options.js';
export type { TeraBoxHealth } from './health.js';
export type { HomeInfo, LoginInfo, Membership } from './account-calls.js';

export class TeraBoxClient implements TeraBoxApi {
  private readonly calls: ClientContext;
  private closed = false;

  constructor(options: TeraBoxClientOptions) {
    const opts = resolveOptions({ ...options, cookie: normaliseCookie(options.cookie) });
    const transport = new HttpTransport({
      userAgent: opts.userAgent,
      timeouts: opts.timeouts,
      maxConnections: opts.maxConnections,
      logger: opts.logger,
      observer: opts.observer,
    });
    const session = new Session({
      cookie: opts.cookie,
      baseUrl: opts.baseUrl,
      regionUrl: opts.regionUrl,
      logger: opts.logger,
      scrape: (baseUrl) =>
        withRetry('idempotent', opts.retry, () => fetchPageTokens(transport, opts.cookie, baseUrl, opts.timeouts.requestMs), {
          logger: opts.logger,
          label: '/',
        }),
    });
    const pacer = new ApiPacer({ callsPerSecond: opts.apiCallsPerSecond, burst: opts.apiBurst, clock: opts.pacingClock });
    const health = new HealthTracker();
    if (opts.downloadApi === 'official') health.downloadRoute = 'official';
    this.calls = { caller: new ApiCaller(transport, session, opts.retry, opts.logger, pacer, health), opts };
  }

  /** How TeraBox answers this session: for the status snapshot and the smoke test. */
  health(): TeraBoxHealth {
    const { session, pacer, health } = this.calls.caller;
    const pacing = pacer.stats();
    return {
      reachable: health.reachable,
      lastError: health.lastError,
      lastTokenRefresh: session.tokensAt !== undefined ? new Date(session.tokensAt).toISOString() : undefined,
      region: session.region ?? new URL(session.baseUrl).hostname,
      uploadHost: this.calls.opts.uploadHost ?? session.uploadHostName,
      apiStyle: this.calls.opts.apiStyle,
      downloadRoute: health.downloadRoute ?? this.calls.opts.downloadApi,
      callsPerSecond: pacing.callsPerSecond,
      callsPerSecondLimit: pacer.enabled ? pacing.limit : undefined,
    };
  }

  /** The base URL in use (moves on a region switch). */
  get baseUrl(): string {
    return this.calls.caller.session.baseUrl;
  }

  account(): Promise<AccountInfo> {
    return accountCalls.account(this.calls);
  }

  quota(): Promise<Quota> {
    return accountCalls.quota(this.calls);
  }

  checkLogin(): Promise<accountCalls.LoginInfo> {
    return accountCalls.checkLogin(this.calls);
  }

  membership(): Promise<accountCalls.Membership> {
    return accountCalls.membership(this.calls);
  }

  homeInfo(): Promise<accountCalls.HomeInfo> {
    return accountCalls.homeInfo(this.calls);
  }

  checkPath(path: string): void {
    assertValidNames(path, this.calls.opts.invalidNameChars, 'name check');
  }

  list(dir: string): Promise<RemoteEntry[]> {
    return fileCalls.list(this.calls, dir);
  }

  listPage(dir: string, page: number, num?: number): Promise<RemoteEntry[]> {
    return fileCalls.listPage(this.calls, dir, page, num);
  }

  stat(paths: string[]): Promise<(RemoteEntry | null)[]> {
    return fileCalls.stat(this.calls, paths);
  }

  mkdir(path: string): Promise<RemoteEntry> {
    return fileCalls.mkdir(this.calls, path);
  }

  delete(paths: string[]): Promise<void> {
    return filemanager.remove(this.calls, paths);
  }

  move(items: MoveItem[], opts?: TransferOptions): Promise<void> {
    return filemanager.move(this.calls, items, opts);
  }

  copy(items: MoveItem[], opts?: TransferOptions): Promise<void> {
    return filemanager.copy(this.calls, items, opts);
  }

  rename(items: { path: string; newname: string }[]): Promise<void> {
    return filemanager.rename(this.calls, items);
  }

  locateUpload(): Promise<string> {
    return uploadCalls.locateUpload(this.calls);
  }

  precreate(req: PrecreateRequest): Promise<PrecreateResult> {
    return uploadCalls.precreate(this.calls, req);
  }

  uploadPart(req: UploadPartRequest): Promise<UploadPartResult> {
    return uploadCalls.uploadPart(this.calls, req);
  }

  create(req: CreateRequest): Promise<RemoteEntry> {
    return uploadCalls.create(this.calls, req);
  }

  rapidUpload(req: RapidUploadRequest): Promise<RemoteEntry | null> {
    return uploadCalls.rapidUpload(this.calls, req);
  }

  downloadLink(entry: Pick<RemoteEntry, 'fsId' | 'path'>): Promise<DownloadLink> {
    return downloads.downloadLink(this.calls, entry);
  }

  download(link: DownloadLink, range?: ByteRange, signal?: AbortSignal): Promise<DownloadResponse> {
    return downloads.download(this.calls, link, range, signal);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.calls.caller.transport.close();
  }
}

export function createTeraBoxClient(opts: TeraBoxClientOptions): TeraBoxClient {
  return new TeraBoxClient(opts);
}
