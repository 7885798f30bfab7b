// Wraps a TeraBoxApi so a test can observe or tamper with calls while the real HTTP exchange still happens.

import type { TeraBoxApi } from '../../src/terabox/api.js';

/** Calls `fn` on each TeraBoxApi call before forwarding it; `fn` may replace the result. */
export function intercept(
  api: TeraBoxApi,
  hooks: {
    [K in keyof TeraBoxApi]?: (args: Parameters<TeraBoxApi[K]>, call: () => ReturnType<TeraBoxApi[K]>) => ReturnType<TeraBoxApi[K]>;
  },
): TeraBoxApi {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      const hook = hooks[prop as keyof TeraBoxApi] as ((args: unknown[], call: () => unknown) => unknown) | undefined;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(target);
      return hook ? (...args: unknown[]) => hook(args, () => bound(...args)) : bound;
    },
  });
}
