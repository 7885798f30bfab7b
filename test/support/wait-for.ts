// Polling with a deadline: for what a test cannot be told about (a request reaching the emulator, a
// file removed in the background), check until true or fail with what was awaited.

import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long. Default 5 s. */
  deadlineMs?: number;
  /** Between checks. Default 5 ms. */
  intervalMs?: number;
  /** Named in the error when the deadline passes. */
  what?: string;
}

export async function waitFor(predicate: () => boolean | Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  const until = Date.now() + (opts.deadlineMs ?? 5_000);
  while (!(await predicate())) {
    if (Date.now() > until)
      throw new Error(`timed out after ${opts.deadlineMs ?? 5_000} ms waiting ${opts.what ? `until ${opts.what}` : 'for a condition'}`);
    await sleep(opts.intervalMs ?? 5);
  }
}
