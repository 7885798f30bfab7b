// Foreground before background through the whole drive: write-back commits hold the API pacer's
// bucket (dozens of precreate/create calls queued at a slow rate), and a client's PROPFIND of a cold
// folder and GET of a file already on TeraBox still go at the next tokens. Asserted by counting what
// reached the emulator, not by timing: while the client's requests were answered, only a few of the
// commit calls that were queued before them reached TeraBox.

import { expect } from 'chai';
import type { UploadTotals } from '../../src/drive/status.js';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import { parseMultistatus } from '../dav/client.js';
import { bytes, KiB, md5, startStack, type Stack } from '../support/index.js';

const COMMITS = 32;
const COMMIT_CALLS = ['precreate', 'create', 'rapidupload'] as const;

async function totals(s: Stack): Promise<UploadTotals> {
  const res = await s.request('GET', '/.well-known/terabox-webdav/status.json');
  expect(res.status).to.equal(200);
  return (JSON.parse(res.text) as { uploads: { totals: UploadTotals } }).uploads.totals;
}

function commitCalls(s: Stack): number {
  return COMMIT_CALLS.reduce((n, name) => n + s.requests(name), 0);
}

describe('integration: a client request does not wait behind write-back commits', function () {
  this.timeout(60_000);
  let s: Stack;
  const seed = bytes(40 * KiB, 7);

  before(async () => {
    s = await startStack({
      upTo: 'webdav',
      smallParts: true,
      account: {},
      configure: (c) => {
        c.upload.mode = 'write-back';
        // Slow enough that the commits' calls queue in the bucket; burst 4 keeps no background reserve,
        // so what is tested here is the order of waiters alone.
        c.terabox.apiCallsPerSecond = 16;
        c.terabox.apiBurst = 4;
        // Every commit runs at once (commitConcurrency = globalParallel / parallel): each queues a call.
        c.upload.parallel = 1;
        c.upload.globalParallel = COMMITS;
      },
    });
    const api = createTeraBoxClient({ baseUrl: s.emu.url, cookie: s.emu.defaultCookie });
    try {
      for (let i = 0; i < 6; i++) await api.mkdir(`/cold/d${i}`);
    } finally {
      await api.close();
    }
    // A file on TeraBox: written through the drive, landed before the test starts.
    expect((await s.request('PUT', '/seed.bin', { body: seed })).status).to.equal(201);
    const deadline = Date.now() + 20_000;
    while ((await totals(s)).pending > 0) {
      if (Date.now() > deadline) throw new Error('the seed file never landed');
      await new Promise((r) => setTimeout(r, 25));
    }
  });
  after(async () => {
    await s?.stop();
  });

  it('PROPFIND of a cold folder and GET of a landed file reach TeraBox before the commits queued ahead of them', async () => {
    expect((await s.request('MKCOL', '/wb/')).status).to.equal(201);
    const before = commitCalls(s);
    const puts = await Promise.all(
      Array.from({ length: COMMITS }, (_, i) => s.request('PUT', `/wb/f${i}.bin`, { body: bytes(2 * KiB, i) })),
    );
    for (const res of puts) expect(res.status).to.equal(201);
    // Every commit has queued its first call by now; the bucket lets them out 16 a second.
    const start = commitCalls(s) - before;
    expect(start, 'commits had not queued yet').to.be.below(COMMITS);

    const [listing, file] = await Promise.all([
      s.request('PROPFIND', '/cold/', { headers: { depth: '1' } }),
      s.request('GET', '/seed.bin'),
    ]);
    const during = commitCalls(s) - before - start;
    expect(listing.status).to.equal(207);
    expect(parseMultistatus(listing.text)).to.have.length(7);
    expect(file.status).to.equal(200);
    expect(md5(file.body)).to.equal(md5(seed));
    // First come, first served, the client's list/filemetas calls would have waited for all the commit
    // calls queued before them (one per commit, at least COMMITS - start). Foreground first: only the
    // few that got a token between the client's calls went.
    expect(during, `commit calls that reached TeraBox while the client waited (${COMMITS - start} were queued ahead)`).to.be.at.most(8);
    expect(commitCalls(s) - before).to.be.below(COMMITS);

    // The commits still all land, in full.
    const deadline = Date.now() + 40_000;
    for (;;) {
      const t = await totals(s);
      if (t.pending === 0 && t.active === 0) break;
      if (Date.now() > deadline) throw new Error(`commits still pending: ${JSON.stringify(t)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (let i = 0; i < COMMITS; i++) expect(md5(await s.emu.readFile(`/wb/f${i}.bin`))).to.equal(md5(bytes(2 * KiB, i)));
    expect(s.errorLines).to.deep.equal([]);
  });
});
