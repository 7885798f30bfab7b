// The time source of everything that ages (caches, locks, the overlay's timestamps): injectable so
// tests advance time instead of sleeping.

/** Milliseconds since the epoch, like Date.now. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** Waits `ms`, or rejects with the signal's reason as soon as it is aborted. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
