// The one way calls reach TeraBox: exchange → token refresh → region switch → errno check, all under
// the retry policy of the endpoint. Each layer is a wrapper from its own module.

import type { Logger } from '../log.js';
import type { Endpoint } from './endpoints.js';
import { checkReply, type ApiRequest, type HttpTransport, type Reply } from './http.js';
import { TeraBoxError } from './errors.js';
import { HealthTracker } from './health.js';
import { ApiPacer, withPacing } from './pacing.js';
import { withInvalidNameRetry, withRegionSwitch } from './region-switch.js';
import { withRetry, type RetryPolicy, type RetrySettings } from './retry.js';
import type { Session } from './session.js';
import { withTokenRefresh } from './token-refresh.js';

export type CallRequest = Omit<ApiRequest, 'endpoint' | 'method'> & {
  /** Errnos that are answers rather than failures for this call (e.g. -8 for mkdir). */
  accept?: readonly number[];
  /** Overrides the endpoint's policy (commit calls decide by rtype). */
  retry?: RetryPolicy;
};

export class ApiCaller {
  constructor(
    readonly transport: HttpTransport,
    readonly session: Session,
    private readonly retry: RetrySettings,
    private readonly logger: Logger,
    /** Shared by every call of the client (off unless configured). */
    readonly pacer: ApiPacer = new ApiPacer({ callsPerSecond: 0, burst: 1 }),
    readonly health: HealthTracker = new HealthTracker(),
  ) {}

  async call<T>(endpoint: Endpoint, req: CallRequest = {}): Promise<Reply<T> & { body: T }> {
    const { accept, retry, ...rest } = req;
    const api: ApiRequest = { ...rest, endpoint: endpoint.path, method: endpoint.method };
    const once = (): Promise<Reply<T>> =>
      withPacing(this.pacer, endpoint.path, () => this.transport.exchange<T>(api, this.session), req.signal);
    return this.watched(
      withRetry(
        retry ?? endpoint.retry,
        this.retry,
        async () => {
          const reply = await withInvalidNameRetry(() =>
            withRegionSwitch(this.session, () => withTokenRefresh(this.session, endpoint.token, once)),
          );
          return checkReply(reply, accept);
        },
        { signal: req.signal, logger: this.logger, label: endpoint.path },
      ),
    );
  }

  /** Records the outcome for health(): any answer means reachable; network errors and 5xx do not. */
  async watched<T>(p: Promise<T>): Promise<T> {
    try {
      const out = await p;
      this.health.answered();
      return out;
    } catch (e) {
      if (e instanceof TeraBoxError) {
        const unreachable = e.status === undefined ? e.code === 'TRANSIENT' : e.status >= 500;
        if (!unreachable) this.health.answered();
        // "Not there" and "already there" are answers the drive asks for, not trouble.
        if (e.code !== 'NOT_FOUND' && e.code !== 'EXISTS') this.health.failed(e.message, unreachable);
      }
      throw e;
    }
  }

  /** Runs any idempotent exchange (page fetch, dlink resolution, download) under the retry settings. */
  retryIdempotent<T>(label: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.watched(withRetry('idempotent', this.retry, attempt, { signal, logger: this.logger, label }));
  }
}
