// What every call module needs: the caller (transport, session, retry), the resolved options.

import type { ApiCaller } from './caller.js';
import type { ResolvedOptions } from './options.js';

/** Passed to every call function as `calls` (the state the calls of one client share). */
export interface ClientContext {
  caller: ApiCaller;
  opts: ResolvedOptions;
}
