// Downloads whose client stops reading without closing: the response is dropped after the idle time so
// the drive's read (a TeraBox connection) is released, while slow readers and slow drives are left alone.

import { expect } from 'chai';
import net from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDav, type RunningDav } from './harness.js';
import { dav } from './client.js';

const IDLE_MS = 300;
const SIZE = 32 * 1024 * 1024;

/** Records the streams the drive hands out, to see when the layer lets go of them. */
function recordReads(s: RunningDav): Readable[] {
  const streams: Readable[] = [];
  const read = s.drive.read.bind(s.drive);
  s.drive.read = async (path, range, signal) => {
    const result = await read(path, range, signal);
    streams.push(result.stream);
    return result;
  };
  return streams;
}

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(20)) if (check()) return true;
  return check();
}

describe('dav over HTTP: clients that stop reading a download', () => {
  let s: RunningDav;
  const data = Buffer.alloc(SIZE, 7);
  beforeEach(async () => {
    s = await startDav({ bodyIdleTimeoutMs: IDLE_MS });
    s.drive.putFile('/big.bin', data);
  });
  afterEach(async () => {
    await s.close();
  });

  for (const [what, range] of [
    ['a whole file', ''],
    ['several ranges', `\r\nRange: bytes=0-9,${SIZE / 2}-${SIZE - 1}`],
  ]) {
    it(`drops the response and releases the drive's read when the client stops reading ${what}`, async () => {
      const streams = recordReads(s);
      const socket = net.connect(Number(new URL(s.url).port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1${range}\r\n\r\n`);
      socket.pause();
      try {
        expect(await eventually(() => streams.length > 0, 2000), 'the drive was read').to.equal(true);
        expect(await eventually(() => streams.every((r) => r.destroyed), 20 * IDLE_MS), 'the drive read was released').to.equal(true);
        expect((await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=0-3' } })).status).to.equal(206);
      } finally {
        socket.destroy();
      }
    });
  }

  it('does not drop a client that keeps reading, however slowly', async () => {
    const socket = net.connect(Number(new URL(s.url).port), '127.0.0.1');
    const received: Buffer[] = [];
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    let unpaused = 0;
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      // A reader slower than the drive: every MiB or so it stops for half the idle time.
      unpaused += chunk.length;
      if (unpaused < 1024 * 1024) return;
      unpaused = 0;
      socket.pause();
      setTimeout(() => socket.resume(), IDLE_MS / 2);
    });
    const size = 12 * 1024 * 1024;
    socket.write(`GET /big.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=0-${size - 1}\r\nConnection: close\r\n\r\n`);
    await closed;
    const all = Buffer.concat(received);
    const bodyAt = all.indexOf('\r\n\r\n') + 4;
    expect(all.subarray(0, 12).toString()).to.equal('HTTP/1.1 206');
    expect(all.length - bodyAt).to.equal(size);
  });

  it('does not drop a client while the drive is slow to produce the bytes', async () => {
    s.drive.read = async (path) => {
      const entry = (await s.drive.stat(path))!;
      const slow = Readable.from(
        (async function* () {
          for (let i = 0; i < 3; i++) {
            await sleep(IDLE_MS * 2);
            yield data.subarray(i * 1024, (i + 1) * 1024);
          }
        })(),
      );
      return { entry, stream: slow };
    };
    const res = await dav(s.origin, 'GET', '/big.bin', { headers: { range: 'bytes=0-3071' } });
    expect(res.status).to.equal(206);
    expect(res.body.equals(data.subarray(0, 3072))).to.equal(true);
  });
});
