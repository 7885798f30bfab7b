import { expect } from 'chai';
import { waitFor } from './support/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startDrive } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { createDriveMetrics } from '../src/metrics.js';
import { parsePrometheus, type Exposition } from './prom-text.js';
import { controlledStatus, upload, withUploads } from './status-fixtures.js';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function scrape(url: string): Promise<Exposition> {
  const res = await request(url);
  expect(res.statusCode).to.equal(200);
  expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.body.text());
}

describe('metrics', () => {
  it('counts requests and upstream calls, and reads the upload and cache gauges from the snapshot at scrape time', async () => {
    const source = controlledStatus(
      withUploads([upload({ path: '/a', size: 100, confirmedBytes: 40, state: 'active' }), upload({ path: '/b', size: 7 })]),
    );
    const m = createDriveMetrics({ status: source.status, processMetrics: false });
    m.requestEnded({ method: 'PUT', status: 201, seconds: 0.2, bytesIn: 1000, bytesOut: 50 });
    m.requestEnded({ method: 'PUT', status: 201, seconds: 3, bytesIn: 10, bytesOut: 50 });
    m.requestEnded({ method: 'GET', status: 499, seconds: 0.001, bytesIn: 0, bytesOut: 7 });
    m.upstream.call!({ endpoint: '/api/create', status: 200, errno: 31299, seconds: 0.1 });
    m.upstream.call!({ endpoint: '/api/create', status: 0, errno: null, seconds: 0.1 });
    m.upstream.bytes!({ endpoint: '/rest/2.0/pcs/superfile2', up: 4096, down: 80 });
    let e = parsePrometheus((await m.scrape()).text);
    expect(e.value('terabox_webdav_requests_total', { method: 'PUT', status: '201' })).to.equal(2);
    expect(e.value('terabox_webdav_requests_total', { method: 'GET', status: '499' })).to.equal(1);
    expect(e.value('terabox_webdav_request_duration_seconds_count', { method: 'PUT' })).to.equal(2);
    expect(e.value('terabox_webdav_request_duration_seconds_bucket', { method: 'PUT', le: '0.25' })).to.equal(1);
    expect(e.value('terabox_webdav_client_bytes_total', { direction: 'in' })).to.equal(1010);
    expect(e.value('terabox_webdav_upstream_calls_total', { endpoint: '/api/create', errno: '31299' })).to.equal(1);
    expect(e.value('terabox_webdav_upstream_calls_total', { endpoint: '/api/create', errno: 'network' })).to.equal(1);
    expect(e.value('terabox_webdav_upstream_bytes_total', { direction: 'up' })).to.equal(4096);
    expect(e.value('terabox_webdav_uploads', { state: 'active' })).to.equal(1);
    expect(e.value('terabox_webdav_uploads', { state: 'pending' })).to.equal(1);
    expect(e.value('terabox_webdav_uploads', { state: 'failed' })).to.equal(0);
    expect(e.value('terabox_webdav_upload_pending_bytes')).to.equal(67);
    expect(e.value('terabox_webdav_cache_hits_total')).to.equal(30);
    expect(e.value('terabox_webdav_cache_misses_total')).to.equal(10);
    expect(e.value('terabox_webdav_cache_bytes')).to.equal(300 * 1024 * 1024);
    expect(e.types.get('terabox_webdav_cache_hits_total')).to.equal('counter');
    expect(e.value('terabox_webdav_process_cpu_user_seconds_total')).to.equal(undefined);

    // The snapshot moves: the gauges follow at the next scrape, and the counters mirror its totals.
    source.set(
      withUploads([upload({ path: '/b', size: 7, state: 'failed', attempts: 5 })], {
        ...withUploads([]),
        cache: { ...withUploads([]).cache!, hits: 31 },
      }),
    );
    e = parsePrometheus((await m.scrape()).text);
    expect(e.value('terabox_webdav_uploads', { state: 'active' })).to.equal(0);
    expect(e.value('terabox_webdav_uploads', { state: 'failed' })).to.equal(1);
    expect(e.value('terabox_webdav_upload_pending_bytes')).to.equal(0);
    expect(e.value('terabox_webdav_cache_hits_total')).to.equal(31);
  });

  it('keeps each drive in a registry of its own', async () => {
    const a = createDriveMetrics();
    const b = createDriveMetrics();
    a.requestEnded({ method: 'GET', status: 200, seconds: 0.01, bytesIn: 0, bytesOut: 1 });
    const ea = parsePrometheus((await a.scrape()).text);
    const eb = parsePrometheus((await b.scrape()).text);
    expect(ea.value('terabox_webdav_requests_total', { method: 'GET', status: '200' })).to.equal(1);
    expect(eb.value('terabox_webdav_requests_total', { method: 'GET', status: '200' })).to.equal(undefined);
    expect(ea.value('terabox_webdav_process_cpu_user_seconds_total')).to.be.a('number');
  });

  it('hears from the TeraBox client about calls that got no answer (errno "network")', async () => {
    const { createTeraBoxClient } = await import('../src/terabox/client.js');
    const m = createDriveMetrics({ processMetrics: false });
    const port = await freePort(); // nothing listens there
    const api = createTeraBoxClient({
      baseUrl: `http://127.0.0.1:${port}`,
      cookie: 'ndus=x',
      retry: { attempts: 1 },
      observer: m.upstream,
    });
    try {
      await api.quota().then(
        () => expect.fail('no TeraBox there'),
        () => undefined,
      );
    } finally {
      await api.close();
    }
    const e = parsePrometheus((await m.scrape()).text);
    expect(e.sum('terabox_webdav_upstream_calls_total', { errno: 'network' })).to.be.at.least(1);
  });

  describe('on the running drive', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'tbw-metrics-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('moves with traffic: requests, durations, upstream calls by endpoint and errno, bytes both ways, quota', async () => {
      const metricsPort = await freePort();
      const config = loadConfig({ flags: { dataDir: dir, 'server.port': 0, 'server.metricsPort': metricsPort }, env: {} });
      config.cache.quotaTtlSeconds = 0; // the quota gauge reads the account afresh at each scrape
      // The GET below reads from TeraBox (with the block cache on, a landed write-back file is served from its own bytes).
      config.cache.mode = 'off';
      const drive = await startDrive(config, silentLogger);
      try {
        expect(drive.metricsUrl).to.equal(`http://127.0.0.1:${metricsPort}/metrics`);
        const pageUrl = `${drive.url}.well-known/terabox-webdav/metrics`;
        const before = await scrape(pageUrl);
        const body = Buffer.alloc(300 * 1024, 7);
        const put = await request(`${drive.url}m.bin`, { method: 'PUT', body });
        await put.body.dump();
        expect(put.statusCode).to.equal(201);
        // Write-back (the default) commits in the background: the upstream counters move once it lands.
        await waitFor(() => (drive.emulator!.stats().endpoints.create?.requests ?? 0) > 0, {
          deadlineMs: 20_000,
          what: 'the upload has landed',
        });
        const got = await request(`${drive.url}m.bin`);
        expect(Buffer.from(await got.body.arrayBuffer()).equals(body)).to.equal(true);
        const missing = await request(`${drive.url}nope.bin`);
        await missing.body.dump();

        const after = await scrape(pageUrl);
        const delta = (name: string, labels?: Record<string, string>) => after.sum(name, labels) - before.sum(name, labels);
        expect(delta('terabox_webdav_requests_total', { method: 'PUT', status: '201' })).to.equal(1);
        // The file's GET, and the first scrape (a request is counted once its answer is out).
        expect(delta('terabox_webdav_requests_total', { method: 'GET', status: '200' })).to.equal(2);
        expect(delta('terabox_webdav_requests_total', { method: 'GET', status: '404' })).to.equal(1);
        expect(delta('terabox_webdav_request_duration_seconds_count', { method: 'PUT' })).to.equal(1);
        expect(delta('terabox_webdav_client_bytes_total', { direction: 'in' })).to.be.at.least(body.length);
        expect(delta('terabox_webdav_client_bytes_total', { direction: 'out' })).to.be.at.least(body.length);
        expect(delta('terabox_webdav_upstream_calls_total', { errno: '0' })).to.be.at.least(2);
        const endpoints = after.samples.filter((s) => s.name === 'terabox_webdav_upstream_calls_total').map((s) => s.labels.endpoint);
        expect(endpoints.some((e) => /precreate/.test(e!))).to.equal(true);
        expect(endpoints.some((e) => /superfile2/.test(e!))).to.equal(true);
        expect(delta('terabox_webdav_upstream_bytes_total', { direction: 'up' })).to.be.at.least(body.length);
        expect(delta('terabox_webdav_upstream_bytes_total', { direction: 'down' })).to.be.at.least(body.length);
        expect(after.value('terabox_webdav_quota_used_bytes')).to.be.at.least(body.length);
        expect(after.value('terabox_webdav_uploads', { state: 'failed' })).to.equal(0);
        expect(after.value('terabox_webdav_process_resident_memory_bytes')).to.be.greaterThan(0);

        // The loopback port serves the same registry, without credentials.
        const side = await scrape(drive.metricsUrl!);
        expect(side.sum('terabox_webdav_requests_total', { method: 'PUT', status: '201' })).to.equal(1);
        const post = await request(drive.metricsUrl!, { method: 'POST', body: 'x' });
        await post.body.dump();
        expect(post.statusCode).to.equal(405);
      } finally {
        await drive.close();
      }
    });

    it("keeps the metrics behind the drive's password on the drive port", async () => {
      const { hashPassword } = await import('../src/util/password.js');
      const config = loadConfig({ flags: { dataDir: dir, 'server.port': 0 }, env: {} });
      config.server.users = [{ name: 'bob', passwordHash: await hashPassword('pw') }];
      const drive = await startDrive(config, silentLogger);
      try {
        expect(drive.metricsUrl).to.equal(undefined);
        const res = await request(`${drive.url}.well-known/terabox-webdav/metrics`);
        await res.body.dump();
        expect(res.statusCode).to.equal(401);
        const ok = await request(`${drive.url}.well-known/terabox-webdav/metrics`, {
          headers: { authorization: 'Basic ' + Buffer.from('bob:pw').toString('base64') },
        });
        expect(ok.statusCode).to.equal(200);
        parsePrometheus(await ok.body.text());
      } finally {
        await drive.close();
      }
    });
  });
});
