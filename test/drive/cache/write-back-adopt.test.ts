// A write-back PUT's body, once its commit lands, stays as the read cache's chunks of the version
// TeraBox now holds: reading it back fetches nothing from TeraBox (issue 9). With cache.mode off the
// same sequence still reads back byte-exact, from TeraBox.

import { expect } from 'chai';
import { bytes, KiB, startStack, waitFor, type Stack } from '../../support/index.js';

describe('write-back landing into the read cache', function () {
  this.timeout(60_000);
  const data = bytes(300 * KiB + 11, 7);

  for (const mode of ['full', 'off'] as const) {
    describe(`cache.mode ${mode}`, () => {
      let s: Stack;
      before(async () => {
        s = await startStack({
          upTo: 'webdav',
          smallParts: true,
          configure: (c) => {
            c.upload.mode = 'write-back';
            c.cache.mode = mode;
            c.cache.chunkSize = 64 * KiB;
          },
        });
      });
      after(() => s?.stop());

      it('GET of the whole file and of a range after the commit landed: byte-exact', async () => {
        expect((await s.request('PUT', '/wb.bin', { body: data })).status).to.equal(201);
        // Landed: TeraBox holds it and the spool file (removed after the landing hooks) is gone.
        await waitFor(async () => s.requests('create') > 0 && (await s.spoolFiles()).length === 0, {
          deadlineMs: 20_000,
          what: 'the commit landed',
        });
        const before = s.requests('data');
        const whole = await s.request('GET', '/wb.bin');
        expect(whole.status).to.equal(200);
        expect(whole.body.equals(data)).to.equal(true);
        const range = await s.request('GET', '/wb.bin', { headers: { range: `bytes=${64 * KiB - 5}-${200 * KiB}` } });
        expect(range.status).to.equal(206);
        expect(range.body.equals(data.subarray(64 * KiB - 5, 200 * KiB + 1))).to.equal(true);
        const fetched = s.requests('data') - before;
        if (mode === 'full') expect(fetched, 'data requests to TeraBox').to.equal(0);
        else expect(fetched, 'data requests to TeraBox').to.be.greaterThan(0);
        expect(s.errorLines).to.deep.equal([]);
      });
    });
  }
});
