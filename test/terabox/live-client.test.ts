// The client (and the uploader's handling of precreate) against the emulator's 2025–2026 behaviours
// (docs/terabox-protocol.md §7): return_type 2 in each shape, uploadsign, the 400141 download
// fallback, pacing under the emulator's rate limit, -7 retried once, the upload host moving with the
// region, health(), and the download sign checked against an independent RC4 and published vectors.

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { createTeraBoxClient, type TeraBoxClient, type TeraBoxClientOptions } from '../../src/terabox/client.js';
import { TeraBoxError } from '../../src/terabox/errors.js';
import { downloadSign } from '../../src/terabox/sign.js';
import { qualifyUploadHost } from '../../src/terabox/upload-calls.js';
import { PLACEHOLDER_BLOCK_MD5 } from '../../src/terabox/wire.js';
import { bodyOf, bytes, SMALL_LADDER, startStack, type Stack } from '../support/index.js';
import { FakeServer, json } from './fake-server.js';

const PART = 1024;
const md5 = (b: Uint8Array | string) => createHash('md5').update(b).digest('hex');

function partsOf(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += PART) out.push(data.subarray(i, i + PART));
  return out;
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/** RC4 written from its textbook definition, separately from src/terabox/sign.ts, over bytes. */
function rc4(key: Buffer, data: Buffer): Buffer {
  const S = Array.from({ length: 256 }, (_, i) => i);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + S[i]! + key[i % key.length]!) & 255;
    const t = S[i]!;
    S[i] = S[j]!;
    S[j] = t;
  }
  const out = Buffer.alloc(data.length);
  let a = 0;
  let b = 0;
  for (let n = 0; n < data.length; n++) {
    a = (a + 1) & 255;
    b = (b + S[a]!) & 255;
    const t = S[a]!;
    S[a] = S[b]!;
    S[b] = t;
    out[n] = data[n]! ^ S[(S[a]! + S[b]!) & 255]!;
  }
  return out;
}

describe('the download sign (home/info sign1/sign3 → base64 RC4)', () => {
  it('matches the published RC4 test vectors (Wikipedia / the original cypherpunks post)', () => {
    const vectors: [string, string, string][] = [
      ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
      ['Wiki', 'pedia', '1021bf0420'],
      ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
    ];
    for (const [key, plain, hex] of vectors) {
      expect(downloadSign(key, plain)).to.equal(Buffer.from(hex, 'hex').toString('base64'));
      expect(rc4(Buffer.from(key), Buffer.from(plain)).toString('hex')).to.equal(hex);
    }
  });

  it('agrees with an independent RC4 on sign-shaped inputs', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const sign3 = md5(`k${seed}`).slice(0, 8 + (seed % 25));
      const sign1 = md5(`d${seed}`) + md5(`e${seed}`).slice(0, seed % 32);
      expect(downloadSign(sign3, sign1), `seed ${seed}`).to.equal(
        rc4(Buffer.from(sign3, 'latin1'), Buffer.from(sign1, 'latin1')).toString('base64'),
      );
    }
  });
});

describe('client and uploader against the live-service behaviours', () => {
  let dataDir: string;
  let emu: EmulatorHandle;
  const clients: TeraBoxClient[] = [];

  function client(extra: Partial<TeraBoxClientOptions> = {}, cookie = emu.defaultCookie): TeraBoxClient {
    const c = createTeraBoxClient({
      baseUrl: emu.url,
      cookie,
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 },
      timeouts: { connectMs: 2_000, requestMs: 10_000, partMs: 10_000 },
      ...extra,
    });
    clients.push(c);
    return c;
  }

  async function upload(c: TeraBoxClient, path: string, data: Buffer): Promise<void> {
    const parts = partsOf(data);
    const pre = await c.precreate({ path, size: data.length, blockList: PLACEHOLDER_BLOCK_MD5.slice(0, parts.length > 1 ? 2 : 1) });
    for (const [i, part] of parts.entries()) await c.uploadPart({ path, uploadId: pre.uploadId, partseq: i, data: new Blob([part]) });
    await c.create({ path, size: data.length, uploadId: pre.uploadId, blockList: parts.map((p) => md5(p)), rtype: 3 });
  }

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'terabox-live-'));
    emu = await startEmulator({ dataDir, regions: ['dm'], regionUploadHosts: ['dm'], knobs: { minPartSize: PART } });
  });
  after(async () => {
    await emu.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    emu.setKnobs({ precreateRapid: 'commit', requireUploadSign: false, dlinkNeedVerify: false, rateLimit: null, faults: {} });
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  describe('uploadsign', () => {
    it('sends back the sign precreate handed out, so a superfile2 that requires it takes every part', async () => {
      emu.setKnobs({ requireUploadSign: true });
      const api = client();
      const data = bytes(3 * PART + 7);
      await upload(api, '/sign/ok.bin', data);
      expect(await emu.readFile('/sign/ok.bin')).to.deep.equal(data);
    });

    it('without a sign (a server that hands none out) sends uploadsign=0 as before', async () => {
      const server = await new FakeServer().start();
      try {
        server.handler = (req, res) => {
          if (req.path === '/')
            return void res.end(
              `<script>eval(decodeURIComponent(\`function%20fn%28a%29%7Bwindow.jsToken%20%3D%20a%7D%3Bfn%28%22T%22%29\`))</script>`,
            );
          if (req.path === '/api/precreate') return json(res, { errno: 0, uploadid: 'N1-x', return_type: 1, block_list: [0] });
          if (req.path === '/rest/2.0/pcs/file') return json(res, { host: `127.0.0.1:${server.port}` });
          json(res, { md5: md5('a') });
        };
        const api = createTeraBoxClient({ baseUrl: server.url, cookie: 'ndus=x' });
        clients.push(api);
        const pre = await api.precreate({ path: '/a', size: 1, blockList: [md5('a')] });
        await api.uploadPart({ path: '/a', uploadId: pre.uploadId, partseq: 0, data: new Blob(['a']) });
        expect(server.seen.find((s) => s.path === '/rest/2.0/pcs/superfile2')!.query.get('uploadsign')).to.equal('0');
      } finally {
        await server.stop();
      }
    });
  });

  describe('precreate return_type 2 through the uploader', () => {
    let rig: Stack;
    const data = bytes(5 * 64 * 1024 + 11);
    before(async () => {
      rig = await startStack({
        upTo: 'uploader',
        knobs: { minPartSize: 64 * 1024 },
        uploader: { rapidUpload: false, ladder: SMALL_LADDER },
      });
      const first = await rig.uploader.upload({ path: '/rt2/first.bin', body: bodyOf(data), size: data.length });
      expect(first.kind).to.equal('committed');
    });
    after(() => rig.stop());
    afterEach(() => rig.emu.setKnobs({ precreateRapid: 'commit' }));

    async function again(path: string) {
      rig.emu.resetStats();
      const r = await rig.uploader.upload({ path, body: bodyOf(data), size: data.length });
      expect(r.kind).to.equal('committed');
      expect(await rig.emu.readFile(path)).to.deep.equal(data);
      return { superfile2: rig.requests('superfile2'), create: rig.requests('create'), filemetas: rig.requests('filemetas') };
    }

    it('2 with info: done, no part, no create', async () => {
      expect(await again('/rt2/info.bin')).to.deep.equal({ superfile2: 0, create: 0, filemetas: 0 });
    });

    it('2 without info, file committed: one filemetas check, no create', async () => {
      rig.emu.setKnobs({ precreateRapid: 'bare' });
      expect(await again('/rt2/bare.bin')).to.deep.equal({ superfile2: 0, create: 0, filemetas: 1 });
    });

    it('2 without info, nothing committed: filemetas finds nothing, so create commits it', async () => {
      rig.emu.setKnobs({ precreateRapid: 'no-commit' });
      expect(await again('/rt2/none.bin')).to.deep.equal({ superfile2: 0, create: 1, filemetas: 1 });
    });

    it('2 without info over an older version at the path: the old file is not ours, so create replaces it', async () => {
      const old = bytes(100);
      expect((await rig.uploader.upload({ path: '/rt2/old.bin', body: bodyOf(old), size: old.length })).kind).to.equal('committed');
      rig.emu.setKnobs({ precreateRapid: 'no-commit' });
      expect(await again('/rt2/old.bin')).to.deep.equal({ superfile2: 0, create: 1, filemetas: 1 });
    });
  });

  describe('downloads when dlinks answer 400141', () => {
    for (const downloadApi of ['dlna', 'official'] as const) {
      it(`${downloadApi}: falls back to the PCS route with Range and stays on it for the session`, async () => {
        const api = client({ downloadApi });
        const data = bytes(4 * PART + 3);
        await upload(api, '/dl/file.bin', data);
        const [entry] = await api.stat(['/dl/file.bin']);
        emu.setKnobs({ dlinkNeedVerify: true });
        const link = await api.downloadLink(entry!);
        const part = await api.download(link, { start: 100, end: 2099 });
        expect(part.status).to.equal(206);
        expect(await readAll(part.body)).to.deep.equal(data.subarray(100, 2100));
        expect(api.health().downloadRoute).to.equal('pcs');
        emu.resetStats();
        // The next link is the PCS route at once: no filemetas / download / dlink hop.
        const next = await api.downloadLink(entry!);
        expect(new URL(next.url).pathname).to.equal('/rest/2.0/pcs/file');
        expect(await readAll((await api.download(next)).body)).to.deep.equal(data);
        // A link cached from before the switch goes the PCS way too.
        if (downloadApi === 'dlna') expect(await readAll((await api.download(link)).body)).to.deep.equal(data);
        const s = emu.stats().endpoints;
        expect((s.filemetas?.requests ?? 0) + (s.download?.requests ?? 0) + (s.dlink?.requests ?? 0) + (s.data?.requests ?? 0)).to.equal(0);
        expect(s.pcsdownload?.requests).to.be.greaterThan(0);
      });
    }

    it('never hands a JSON refusal on as file bytes', async () => {
      const api = client();
      await upload(api, '/dl/other.bin', bytes(50));
      const [entry] = await api.stat(['/dl/other.bin']);
      const link = await api.downloadLink(entry!);
      emu.setKnobs({ dlinkNeedVerify: true });
      // Without a path the client cannot reroute: the refusal is an error, never a body.
      let err: unknown;
      try {
        await api.download({ ...link, path: undefined });
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(TeraBoxError);
      expect((err as TeraBoxError).errno).to.equal(400141);
    });
  });

  describe('pacing', () => {
    it('a burst of list calls over many folders stays under the emulator rate limit when paced, and trips it when not', async () => {
      const seed = client();
      for (let i = 0; i < 30; i++) await seed.mkdir(`/pace/d${i}`);
      emu.setKnobs({ rateLimit: { callsPerSecond: 40, burst: 12 } });
      await new Promise((r) => setTimeout(r, 400));
      emu.resetStats();
      const unpaced = client({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => unpaced.list(`/pace/d${i}`)));
      expect(results.filter((r) => r.status === 'rejected').length).to.be.greaterThan(0);
      expect(emu.stats().endpoints.list?.errors).to.be.greaterThan(0);

      await new Promise((r) => setTimeout(r, 500));
      emu.resetStats();
      const paced = client({ apiCallsPerSecond: 25, apiBurst: 8, retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 } });
      const listed = await Promise.all(Array.from({ length: 30 }, (_, i) => paced.list(`/pace/d${i}`)));
      expect(listed.every((l) => Array.isArray(l))).to.equal(true);
      expect(emu.stats().endpoints.list?.errors ?? 0).to.equal(0);
      const h = paced.health();
      expect(h.callsPerSecondLimit).to.equal(25);
      expect(h.callsPerSecond).to.be.greaterThan(0);
    });

    it('slows down after a rate-limit answer and the retried call succeeds', async () => {
      const api = client({ apiCallsPerSecond: 1000, apiBurst: 1000 });
      await api.mkdir('/pace/slow');
      emu.setKnobs({ rateLimit: { callsPerSecond: 50, burst: 1 } });
      const got = await Promise.all([api.list('/pace/slow'), api.list('/pace/slow'), api.list('/pace/slow')]);
      expect(got).to.have.length(3);
      expect(api.health().callsPerSecondLimit).to.be.below(1000);
    });
  });

  it('repeats a call refused with errno -7 once', async () => {
    const api = client();
    await api.mkdir('/minus7');
    emu.setKnobs({ faults: { list: { errnoMinus7: 1 } } });
    emu.resetStats();
    let err: unknown;
    try {
      await api.list('/minus7');
    } catch (e) {
      err = e;
    }
    expect((err as TeraBoxError).code).to.equal('INVALID_NAME');
    expect(emu.stats().endpoints.list?.requests).to.equal(2);
    // Intermittent: the second answer is a good one.
    const server = await new FakeServer().start();
    try {
      let n = 0;
      server.handler = (_req, res) => json(res, n++ === 0 ? { errno: -7 } : { errno: 0, list: [] });
      const c = createTeraBoxClient({ baseUrl: server.url, cookie: 'ndus=x' });
      clients.push(c);
      expect(await c.listPage('/x', 1)).to.deep.equal([]);
      expect(server.count('/api/list')).to.equal(2);
    } finally {
      await server.stop();
    }
  });

  it('moves the upload host with the region: the region locateupload names, where parts then go', async () => {
    const account = emu.addAccount({ region: 'dm' });
    const api = client({}, account.cookie);
    const before = api.health();
    expect(before.uploadHost).to.equal(undefined);
    const data = bytes(2 * PART + 1);
    await upload(api, '/region/file.bin', data);
    expect(await emu.readFile('/region/file.bin', account.cookie)).to.deep.equal(data);
    const h = api.health();
    expect(h.region).to.equal('dm');
    expect(h.uploadHost).to.equal(new URL(emu.regionUploadUrls.dm!).host);
    expect(h.uploadHost).to.not.equal(new URL(emu.regionUrls.dm!).host);
    expect(api.baseUrl).to.equal(emu.regionUrls.dm);
  });

  it('takes a bare cluster name from locateupload as a host beside the web host', () => {
    expect(qualifyUploadHost('dm1', 'https://www.terabox.com')).to.equal('dm1.terabox.com');
    expect(qualifyUploadHost('dm1', 'https://dm.1024terabox.com')).to.equal('dm1.1024terabox.com');
    expect(qualifyUploadHost('dm-data.terabox.com', 'https://www.terabox.com')).to.equal('dm-data.terabox.com');
    expect(qualifyUploadHost('127.0.0.1:8080', 'http://127.0.0.1:9')).to.equal('127.0.0.1:8080');
  });

  it('health(): reachable, token refresh time, api style, and the last error without secrets', async () => {
    const api = client();
    await api.quota();
    await api.mkdir('/health');
    let h = api.health();
    expect(h).to.include({ reachable: true, apiStyle: 'api', downloadRoute: 'dlna' });
    expect(Date.parse(h.lastTokenRefresh!)).to.be.closeTo(Date.now(), 60_000);
    // A missing folder is an answer, not trouble.
    await api.list('/health/missing').catch(() => undefined);
    expect(api.health().lastError).to.equal(undefined);
    emu.setKnobs({ faults: { quota: { http5xx: 1 } } });
    await api.quota().catch(() => undefined);
    h = api.health();
    expect(h.reachable).to.equal(false);
    expect(h.lastError?.message).to.match(/\/api\/quota/);
    emu.setKnobs({ faults: {} });
    await api.quota();
    expect(api.health().reachable).to.equal(true);
    expect(JSON.stringify(h)).to.not.contain(emu.defaultCookie.split('=')[1]!.split(';')[0]!);
    const dead = createTeraBoxClient({
      baseUrl: 'http://127.0.0.1:9',
      cookie: 'ndus=x',
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
    });
    clients.push(dead);
    await dead.quota().catch(() => undefined);
    expect(dead.health().reachable).to.equal(false);
  });
});
