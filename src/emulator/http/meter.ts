// Byte metering for request and response bodies: counts bytes for the stats, applies the
// per-connection bandwidth cap with timers, and can cut a body off after N bytes (the reset fault).

import { Transform, type TransformCallback } from 'node:stream';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A pacing clock for one direction of one connection: the time its sent bytes will have taken. */
export class Pace {
  private next = 0;

  async take(bytes: number, rate: number): Promise<void> {
    if (rate <= 0) return;
    const now = performance.now();
    this.next = Math.max(now, this.next) + (bytes * 1000) / rate;
    const wait = this.next - now;
    if (wait >= 1) await sleep(wait);
  }
}

const paces = new WeakMap<Socket, { in: Pace; out: Pace }>();

/** The pacing clocks of a connection (one per direction, created on first use). */
export function pacesOf(socket: Socket): { in: Pace; out: Pace } {
  let p = paces.get(socket);
  if (!p) {
    p = { in: new Pace(), out: new Pace() };
    paces.set(socket, p);
  }
  return p;
}

const accountPaces = new WeakMap<object, Map<string, { in: Pace; out: Pace }>>();

/** The pacing clocks an account's connections share (per-account caps), one map per emulator. */
export function accountPacesOf(emulator: object, account: string): { in: Pace; out: Pace } {
  let byAccount = accountPaces.get(emulator);
  if (!byAccount) {
    byAccount = new Map();
    accountPaces.set(emulator, byAccount);
  }
  let p = byAccount.get(account);
  if (!p) {
    p = { in: new Pace(), out: new Pace() };
    byAccount.set(account, p);
  }
  return p;
}

export interface MeterOptions {
  pace: Pace;
  /** Read on every chunk, so a knob change applies to bodies already flowing. */
  rate: () => number;
  /** A second cap shared with other connections (the per-account cap). */
  shared?: { pace: Pace; rate: () => number };
  count: (bytes: number) => void;
  /** Pass this many bytes, then call onCut and pass nothing more. */
  cutAfter?: number;
  onCut?: () => void;
}

export class Meter extends Transform {
  private passed = 0;
  private cut = false;

  constructor(private readonly opts: MeterOptions) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.forward(chunk).then(() => done(), done);
  }

  private async forward(chunk: Buffer): Promise<void> {
    if (this.cut) return;
    const { cutAfter } = this.opts;
    if (cutAfter !== undefined && this.passed + chunk.length >= cutAfter) {
      chunk = chunk.subarray(0, Math.max(0, cutAfter - this.passed));
      this.cut = true;
    }
    const rate = this.opts.rate();
    // Small slices keep a capped stream smooth instead of bursting a whole 64 KiB chunk per wait.
    const slice = rate > 0 ? Math.max(1024, Math.floor(rate / 20)) : chunk.length || 1;
    for (let off = 0; off < chunk.length; off += slice) {
      const part = chunk.subarray(off, off + slice);
      await this.opts.pace.take(part.length, this.opts.rate());
      if (this.opts.shared) await this.opts.shared.pace.take(part.length, this.opts.shared.rate());
      // The client went away while we waited: what is left is never sent, so it is not counted.
      if (this.destroyed) return;
      this.passed += part.length;
      this.opts.count(part.length);
      this.push(part);
    }
    if (this.cut) this.opts.onCut?.();
  }
}
