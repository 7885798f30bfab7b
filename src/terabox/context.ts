// What every call module needs: the caller (transport, session, retry), the resolved options.

import type { ApiCaller } from './caller.js';
import type { ResolvedOptions } from './options.js';

export interface ClientContext {
  caller: ApiCaller;
  opts: ResolvedOptions;
}
