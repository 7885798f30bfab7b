// The one way calls reach TeraBox: exchange → token refresh → region switch → errno check, all under
// the retry policy of the endpoint. Each layer is a wrapper from its own module.

import type { Logger } from '../log.js';
import type { Endpoint } from './endpoints.js';
import { checkReply, type ApiRequest, type HttpTransport, type Reply } from './http.js';
import { withRegionSwitch } from './region-switch.js';
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
  ) {}

  async call<T>(endpoint: Endpoint, req: CallRequest = {}): Promise<Reply<T> & { body: T }> {
    const { accept, retry, ...rest } = req;
    const api: ApiRequest = { ...rest, endpoint: endpoint.path, method: endpoint.method };
    const once = (): Promise<Reply<T>> => this.transport.exchange<T>(api, this.session);
    return withRetry(
      retry ?? endpoint.retry,
      this.retry,
      async () => {
        const reply = await withRegionSwitch(this.session, () => withTokenRefresh(this.session, endpoint.token, once));
        return checkReply(reply, accept);
      },
      { signal: req.signal, logger: this.logger, label: endpoint.path },
    );
  }

  /** Runs any idempotent exchange (page fetch, dlink resolution, download) under the retry settings. */
  retryIdempotent<T>(label: string, attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return withRetry('idempotent', this.retry, attempt, { signal, logger: this.logger, label });
  }
}
