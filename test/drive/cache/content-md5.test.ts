// Whole-file reads are checked against the content-md5 TeraBox sends: bytes that do not match never
// reach the client as a complete body (the connection is cut before the last piece), and the read
// cache keeps none of them. Emulator knob corruptDownloads flips a byte of every download body.

import { expect } from 'chai';
import { bytes, KiB, startStack, waitFor, type Stack } from '../../support/index.js';

describe('content-md5 on whole-file reads', function () {
  this.timeout(60_000);
  const data = bytes(300 * KiB + 11, 9);

  for (const mode of ['full', 'off'] as const) {
    describe(`cache.mode ${mode}`, () => {
      let s: Stack;
      before(async () => {
        s = await startStack({
          upTo: 'webdav',
          smallParts: true,
          configure: (c) => {
            c.cache.mode = mode;
            c.cache.chunkSize = 64 * KiB;
          },
        });
        expect((await s.request('PUT', '/a.bin', { body: data })).status).to.equal(201);
      });
      after(() => s?.stop());

      it('a corrupted download is cut short, whole or as a range covering the file, and nothing wrong is kept', async () => {
        s.emu.setKnobs({ corruptDownloads: true });
        try {
          for (const headers of [{}, { range: 'bytes=0-' }] as Record<string, string>[]) {
            let got: Buffer | undefined;
            try {
              got = (await s.request('GET', '/a.bin', { headers })).body;
            } catch (e) {
              expect((e as Error).message).to.match(/closed|terminated|socket|aborted|reset/i);
            }
            expect(got, `a clean end of ${got?.length} corrupted bytes`).to.equal(undefined);
          }
        } finally {
          s.emu.setKnobs({ corruptDownloads: false });
        }
        const before = s.requests('data');
        // The client's pool may still hold a socket the drive cut above: a fresh one is asked for.
        const again = await s.request('GET', '/a.bin', { headers: { connection: 'close' } }).catch(() => s.request('GET', '/a.bin'));
        expect(again.status).to.equal(200);
        expect(again.body.equals(data)).to.equal(true);
        expect(s.requests('data') - before, 'fetched again, not served from a corrupted cache').to.be.greaterThan(0);
      });

      if (mode === 'full') {
        it("two whole-file reads at once of a corrupted download: both are cut short, the second too while it shares the first one's fetches", async () => {
          // Four chunks: the first read has all of them in flight when the second starts.
          const small = bytes(4 * 64 * KiB, 10);
          expect((await s.request('PUT', '/both.bin', { body: small })).status).to.equal(201);
          s.emu.setKnobs({ corruptDownloads: true, bandwidthBytesPerSec: 128 * KiB });
          try {
            const before = s.requests('data');
            const get = () =>
              s.request('GET', '/both.bin', { headers: { connection: 'close' } }).then(
                (r) => r.body,
                () => undefined,
              );
            const first = get();
            await waitFor(() => s.requests('data') - before >= 4, { what: 'the first read has its 4 chunk fetches in flight' });
            const second = get();
            const [a, b] = await Promise.all([first, second]);
            expect(a, `the first read ended cleanly with ${a?.length} corrupted bytes`).to.equal(undefined);
            expect(b, `the second read ended cleanly with ${b?.length} corrupted bytes`).to.equal(undefined);
          } finally {
            s.emu.setKnobs({ corruptDownloads: false, bandwidthBytesPerSec: 0 });
          }
        });
      }

      it('an intact whole-file read passes the check', async () => {
        const whole = await s.request('GET', '/a.bin');
        expect(whole.body.equals(data)).to.equal(true);
      });
    });
  }
});
