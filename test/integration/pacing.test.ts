// Pacing through the whole drive: a burst of PROPFINDs over many folders, against a TeraBox that
// refuses API calls above a rate, completes without a single rate-limit answer when the drive paces
// its calls (terabox.apiCallsPerSecond / apiBurst), and the status snapshot shows the rate and limit.

import { expect } from 'chai';
import { createTeraBoxClient } from '../../src/terabox/client.js';
import { parseMultistatus } from '../dav/client.js';
import { startStack, type Stack } from '../support/index.js';

const FOLDERS = 40;

describe('integration: API pacing under a rate-limited TeraBox', () => {
  let s: Stack;

  before(async () => {
    s = await startStack({
      upTo: 'webdav',
      smallParts: true,
      account: {},
      configure: (c) => {
        c.terabox.apiCallsPerSecond = 30;
        c.terabox.apiBurst = 10;
        // One try per call: a rate-limit answer would fail the PROPFIND rather than be retried away.
        c.terabox.retry = { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 };
      },
    });
    // Seed the folders straight on TeraBox, not through the drive (its caches stay cold).
    const api = createTeraBoxClient({ baseUrl: s.emu.url, cookie: s.emu.defaultCookie });
    try {
      for (let i = 0; i < FOLDERS; i++) await api.mkdir(`/burst/f${String(i).padStart(2, '0')}`);
    } finally {
      await api.close();
    }
  });
  after(async () => {
    await s?.stop();
  });

  it('a burst of Depth-1 PROPFINDs over 40 folders gets no rate-limit answer, and status.json shows calls/s against the limit', async () => {
    // Above the drive's 30/s with bursts of 10, but not by much: unpaced, 80 list calls at once would trip it.
    s.emu.setKnobs({ rateLimit: { callsPerSecond: 45, burst: 15 } });
    await new Promise((r) => setTimeout(r, 400));
    s.emu.resetStats();
    const answers = await Promise.all(
      Array.from({ length: FOLDERS }, (_, i) =>
        s.request('PROPFIND', `/burst/f${String(i).padStart(2, '0')}/`, { headers: { depth: '1' } }),
      ),
    );
    for (const res of answers) {
      expect(res.status).to.equal(207);
      expect(parseMultistatus(res.text)).to.have.length(1);
    }
    const stats = s.emu.stats().endpoints;
    const refused = Object.values(stats).reduce((n, e) => n + e.errors, 0);
    expect(refused, JSON.stringify(stats)).to.equal(0);
    expect(stats.list?.requests).to.be.at.least(FOLDERS);

    const status = await s.request('GET', '/.well-known/terabox-webdav/status.json');
    expect(status.status).to.equal(200);
    const terabox = JSON.parse(status.text).terabox;
    expect(terabox).to.include({ reachable: true, callsPerSecondLimit: 30, apiStyle: 'api' });
    expect(terabox.callsPerSecond).to.be.greaterThan(0);
    expect(terabox.callsPerSecond).to.be.at.most(30);
    expect(s.errorLines).to.deep.equal([]);
  });

  it('the same burst with pacing off trips the limit (so the test above can fail)', async () => {
    const api = createTeraBoxClient({ baseUrl: s.emu.url, cookie: s.emu.defaultCookie, retry: { attempts: 1 } });
    try {
      await new Promise((r) => setTimeout(r, 600));
      s.emu.resetStats();
      const results = await Promise.allSettled(
        Array.from({ length: FOLDERS }, (_, i) => api.list(`/burst/f${String(i).padStart(2, '0')}`)),
      );
      expect(results.filter((r) => r.status === 'rejected').length).to.be.greaterThan(0);
    } finally {
      await api.close();
      s.emu.setKnobs({ rateLimit: null });
    }
  });
});
