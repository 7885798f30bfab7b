import { expect } from 'chai';
import { setTimeout as delay } from 'node:timers/promises';
import type { TeraBoxApi, UploadPartRequest } from '../../src/terabox/api.js';
import { TeraBoxError } from '../../src/terabox/errors.js';
import { sendParts, type PartsJob } from '../../src/upload/parts.js';
import { Semaphore } from '../../src/util/semaphore.js';
import { UploadError } from '../../src/upload/types.js';
import { silentLogger } from '../../src/log.js';
import { blockMd5s } from './helpers.js';
import { bytes, md5 } from '../support/index.js';

const CHUNK = 1000;

/** A superfile2 stand-in: computes the md5 of what it received, unless `answer` says otherwise. */
function partServer(answer?: (req: UploadPartRequest, attempt: number, real: string) => Promise<string> | string) {
  const received = new Map<number, Buffer>();
  const attempts = new Map<number, number>();
  let inFlight = 0;
  let peak = 0;
  const api = {
    async uploadPart(req: UploadPartRequest) {
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        const attempt = (attempts.get(req.partseq) ?? 0) + 1;
        attempts.set(req.partseq, attempt);
        const data = Buffer.from(await req.data.arrayBuffer());
        await delay(2);
        const real = md5(data);
        const md5Answer = answer ? await answer(req, attempt, real) : real;
        received.set(req.partseq, data);
        return { md5: md5Answer };
      } finally {
        inFlight--;
      }
    },
  };
  return { api: api as unknown as TeraBoxApi, received, attempts, peak: () => peak };
}

function job(data: Buffer, api: TeraBoxApi, over: Partial<PartsJob> = {}): PartsJob & { confirmed: number[] } {
  const confirmed: number[] = [];
  const blocks = blockMd5s(data, CHUNK);
  return {
    api,
    path: '/dir/file.bin',
    uploadId: 'N1-test',
    spool: new Blob([data]),
    size: data.length,
    chunkSize: CHUNK,
    blockMd5s: blocks,
    needed: blocks.map((_, i) => i),
    parallel: 4,
    budget: new Semaphore(8),
    attempts: 5,
    backoff: { baseDelayMs: 1, maxDelayMs: 2 },
    onConfirmed: (p) => confirmed.push(p),
    logger: silentLogger,
    confirmed,
    ...over,
  };
}

describe('upload/parts', () => {
  it('sends each needed part with exactly the bytes of its range, the last one short', async () => {
    const data = bytes(5 * CHUNK + 17);
    const srv = partServer();
    const j = job(data, srv.api, { needed: [0, 2, 5] });
    await sendParts(j);
    expect([...srv.received.keys()].sort()).to.deep.equal([0, 2, 5]);
    expect(srv.received.get(2)!.equals(data.subarray(2 * CHUNK, 3 * CHUNK))).to.equal(true);
    expect(srv.received.get(5)!.equals(data.subarray(5 * CHUNK))).to.equal(true);
    expect([...j.confirmed].sort()).to.deep.equal([0, 2, 5]);
  });

  it('keeps at most `parallel` parts of one upload in flight', async () => {
    const srv = partServer();
    await sendParts(job(bytes(20 * CHUNK), srv.api, { parallel: 3 }));
    expect(srv.peak()).to.equal(3);
  });

  it('keeps the global budget across uploads running at once', async () => {
    const srv = partServer();
    const budget = new Semaphore(5);
    await Promise.all([1, 2, 3].map(() => sendParts(job(bytes(12 * CHUNK), srv.api, { parallel: 4, budget }))));
    expect(srv.peak()).to.equal(5);
    expect(budget.inUse).to.equal(0);
  });

  it('re-sends a part whose returned md5 is wrong, and confirms it only once right', async () => {
    const srv = partServer((req, attempt, real) => (req.partseq === 1 && attempt === 1 ? 'f'.repeat(32) : real));
    const j = job(bytes(3 * CHUNK), srv.api);
    await sendParts(j);
    expect(srv.attempts.get(1)).to.equal(2);
    expect(srv.attempts.get(0)).to.equal(1);
    expect([...j.confirmed].sort()).to.deep.equal([0, 1, 2]);
  });

  it('fails with INTEGRITY when the md5 never matches, after the configured tries', async () => {
    const srv = partServer((req, _attempt, real) => (req.partseq === 0 ? '0'.repeat(32) : real));
    let error: unknown;
    await sendParts(job(bytes(2 * CHUNK), srv.api, { attempts: 3, parallel: 1 })).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(UploadError);
    expect((error as UploadError).code).to.equal('INTEGRITY');
    expect(srv.attempts.get(0)).to.equal(3);
  });

  it('retries transient failures with backoff until the part arrives', async () => {
    const srv = partServer((_req, attempt, real) => {
      if (attempt <= 2) throw new TeraBoxError('HTTP 503', { code: 'TRANSIENT', status: 503, endpoint: '/rest/2.0/pcs/superfile2' });
      return real;
    });
    const j = job(bytes(4 * CHUNK), srv.api);
    await sendParts(j);
    expect([...srv.attempts.values()]).to.deep.equal([3, 3, 3, 3]);
    expect(j.confirmed).to.have.length(4);
  });

  it('stops at a final error: no retry, and no part is started after it', async () => {
    const srv = partServer((req, _attempt, real) => {
      if (req.partseq === 1) throw new TeraBoxError('session expired', { code: 'AUTH_EXPIRED', endpoint: '/rest/2.0/pcs/superfile2' });
      return real;
    });
    let error: unknown;
    await sendParts(job(bytes(30 * CHUNK), srv.api, { parallel: 2 })).catch((e: unknown) => (error = e));
    expect((error as TeraBoxError).code).to.equal('AUTH_EXPIRED');
    expect(srv.attempts.get(1)).to.equal(1);
    expect(srv.attempts.size).to.be.at.most(4);
  });

  it('gives up with the caller signal reason when aborted', async () => {
    const ctl = new AbortController();
    const srv = partServer(async (_req, _attempt, real) => {
      await delay(20);
      return real;
    });
    const reason = new UploadError('ABORTED', 'client left');
    setTimeout(() => ctl.abort(reason), 5);
    let error: unknown;
    await sendParts(job(bytes(50 * CHUNK), srv.api, { signal: ctl.signal, parallel: 2 })).catch((e: unknown) => (error = e));
    expect(error).to.equal(reason);
    expect(srv.attempts.size).to.be.below(50);
  });
});
