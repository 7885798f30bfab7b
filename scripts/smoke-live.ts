// `npm run smoke:live`: checks a real TeraBox account end to end through the drive, once. With
// TERABOX_COOKIE set (and TERABOX_UPSTREAM, default https://www.terabox.com) it starts the drive on a
// free loopback port with a temporary data dir and, inside a fresh folder /terabox-webdav-smoke-<time>,
// checks login and quota, lists, creates a folder, PUTs 1 MiB and 9 MiB (parts), PUTs the 9 MiB again
// under another name (rapid upload), reads a range and the whole file back, renames, copies, moves,
// deletes and removes the folder. It prints one row per step (TeraBox endpoints called, errnos, time,
// what the drive inferred) and a one-line verdict, as Markdown to paste into a bug report.
//
// It touches nothing outside its folder, removes the folder after a failure too, and never prints the
// cookie or a token. Without a cookie it says so and exits 0. The emulator can stand in for TeraBox
// (test/smoke-live.test.ts runs it that way), so the script itself is tested.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { startDrive, type RunningDrive } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger } from '../src/log.js';
import type { TeraBoxHealth } from '../src/terabox/health.js';
import { createTeraBoxClient, type TeraBoxClient } from '../src/terabox/client.js';
import { packageVersion } from '../src/version.js';

const MiB = 1024 * 1024;

export interface SmokeOptions {
  env: NodeJS.ProcessEnv;
  /** Where the report goes (stdout by default). */
  out?: (line: string) => void;
  /** Changes to the settings before the drive starts (tests raise the pacing limit). */
  configure?: (config: Config) => void;
}

interface Call {
  endpoint: string;
  status: number;
  errno: number;
}

interface Row {
  step: string;
  ok: boolean;
  ms: number;
  calls: Call[];
  inferred: string;
  error?: string;
}

/** Collects the client's `terabox: call` debug lines (endpoint, status, errno; never a query or header). */
class CallLog extends Writable {
  calls: Call[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.includes('"terabox: call"')) continue;
      try {
        const o = JSON.parse(line) as { endpoint?: string; status?: number; errno?: number };
        if (typeof o.endpoint === 'string')
          this.calls.push({ endpoint: o.endpoint, status: Number(o.status), errno: Number(o.errno) || 0 });
      } catch {
        // not a JSON line
      }
    }
    done();
  }
  take(): Call[] {
    const out = this.calls;
    this.calls = [];
    return out;
  }
}

class StepFailed extends Error {}

function md5(b: Uint8Array): string {
  return createHash('md5').update(b).digest('hex');
}

function folderName(now: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `/terabox-webdav-smoke-${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
}

/** Every value of the cookie, so no line can carry one even by accident. */
function redactor(cookie: string): (text: string) => string {
  const secrets = new Set<string>([cookie.trim()]);
  for (const pair of cookie.split(';')) {
    const v = pair.slice(pair.indexOf('=') + 1).trim();
    if (v.length >= 6) secrets.add(v);
  }
  return (text) => {
    let out = text;
    for (const s of secrets) if (s) out = out.split(s).join('[redacted]');
    return out;
  };
}

function summarizeCalls(calls: Call[]): string {
  if (calls.length === 0) return '—';
  const counts = new Map<string, number>();
  for (const c of calls) counts.set(c.endpoint, (counts.get(c.endpoint) ?? 0) + 1);
  return [...counts].map(([e, n]) => (n > 1 ? `${e} ×${n}` : e)).join(', ');
}

function summarizeErrnos(calls: Call[]): string {
  const seen = new Set<string>();
  for (const c of calls) {
    if (c.errno !== 0) seen.add(`${c.errno} (${c.endpoint})`);
    if (c.status >= 400 || c.status === 0) seen.add(`HTTP ${c.status} (${c.endpoint})`);
  }
  return seen.size === 0 ? '0' : [...seen].join(', ');
}

function fmtBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

interface DavAnswer {
  status: number;
  body: Buffer;
}

async function dav(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<DavAnswer> {
  const res = await request(new URL(path.split('/').map(encodeURIComponent).join('/'), base), { method, headers, body });
  return { status: res.statusCode, body: Buffer.from(await res.body.arrayBuffer()) };
}

function expectStatus(what: string, got: DavAnswer, ok: readonly number[]): void {
  if (!ok.includes(got.status)) throw new StepFailed(`${what}: HTTP ${got.status} (expected ${ok.join(' or ')})`);
}

/** Runs the smoke test; resolves with the process exit code. */
export async function runSmoke(opts: SmokeOptions): Promise<number> {
  const print = opts.out ?? ((line: string) => process.stdout.write(line + '\n'));
  const cookie = opts.env.TERABOX_COOKIE?.trim();
  if (!cookie) {
    print('TERABOX_COOKIE is not set, so there is no account to check: nothing was done.');
    print('Set it to your TeraBox `ndus` cookie (see README, "Using your TeraBox account") and run `npm run smoke:live` again.');
    return 0;
  }
  const redact = redactor(cookie);
  const say = (line: string) => print(redact(line));
  const log = new CallLog();
  const logger = createLogger('debug', log);
  const tmp = await mkdtemp(join(tmpdir(), 'tbw-smoke-'));
  const folder = folderName(new Date());
  const rows: Row[] = [];
  let drive: RunningDrive | undefined;
  let api: TeraBoxClient | undefined;
  let health: TeraBoxHealth = { reachable: false };
  let pageNote = 'asked 1000 a page';
  let upstream = '';

  const step = async (name: string, fn: () => Promise<string>): Promise<void> => {
    log.take();
    const started = performance.now();
    let row: Row;
    try {
      const inferred = await fn();
      row = { step: name, ok: true, ms: Math.round(performance.now() - started), calls: log.take(), inferred };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      row = { step: name, ok: false, ms: Math.round(performance.now() - started), calls: log.take(), inferred: '', error: message };
    }
    rows.push(row);
    if (!row.ok) throw new StepFailed(row.error);
  };

  try {
    const config = loadConfig({
      env: { ...opts.env, TERABOX_COOKIE: cookie },
      flags: { dataDir: join(tmp, 'data'), 'server.port': 0, 'server.host': '127.0.0.1' },
    });
    config.server.users = [];
    config.log.level = 'debug';
    // Each step is checked against TeraBox as it happens, so a PUT is answered once TeraBox holds it.
    config.upload.mode = 'write-through';
    opts.configure?.(config);
    upstream = config.terabox.baseUrl;
    // A client of its own for the checks the drive does not expose, with the same settings.
    api = createTeraBoxClient({
      baseUrl: config.terabox.baseUrl,
      cookie,
      userAgent: config.terabox.userAgent,
      apiStyle: config.terabox.apiStyle,
      uploadHost: config.terabox.uploadHost || undefined,
      downloadApi: config.terabox.downloadApi,
      timeouts: config.terabox.timeouts,
      retry: config.terabox.retry,
      apiCallsPerSecond: config.terabox.apiCallsPerSecond,
      apiBurst: config.terabox.apiBurst,
      logger,
    });
    const client = api;
    let base = '';
    const one = randomBytes(1 * MiB);
    const nine = randomBytes(9 * MiB);
    const status = async (): Promise<TeraBoxHealth> => {
      const got = await dav(base, 'GET', '/.well-known/terabox-webdav/status.json');
      return (JSON.parse(got.body.toString('utf8')) as { terabox: TeraBoxHealth }).terabox;
    };

    try {
      await step('login and quota', async () => {
        const account = await client.account();
        const quota = await client.quota();
        return `${account.vip ? 'premium' : 'free'} plan, ${fmtBytes(account.maxFileSize)} per file; ${fmtBytes(quota.used)} of ${fmtBytes(quota.total)} used`;
      });
      await step('start the drive', async () => {
        drive = await startDrive(config, logger);
        base = drive.url;
        return 'WebDAV on a free loopback port, temporary data dir';
      });
      await step('list / (PROPFIND)', async () => {
        const got = await dav(base, 'PROPFIND', '/', { depth: '1' });
        expectStatus('PROPFIND /', got, [207]);
        const entries = (got.body.toString('utf8').match(/<([a-z]+:)?response[\s>]/gi) ?? []).length - 1;
        const lists = log.calls.filter((c) => c.endpoint === '/api/list').length;
        pageNote = `asked 1000 a page: ${entries} entries in ${lists} list call${lists === 1 ? '' : 's'}`;
        return pageNote;
      });
      await step(`create ${folder} (MKCOL)`, async () => {
        expectStatus('MKCOL', await dav(base, 'MKCOL', `${folder}/`), [201]);
        expectStatus('MKCOL sub', await dav(base, 'MKCOL', `${folder}/sub/`), [201]);
        return 'folder and a subfolder';
      });
      const put = (name: string, data: Buffer) => async () => {
        const got = await dav(base, 'PUT', `${folder}/${name}`, { 'content-type': 'application/octet-stream' }, data);
        expectStatus(`PUT ${name}`, got, [201, 204]);
        const calls = log.calls;
        const parts = calls.filter((c) => c.endpoint === '/rest/2.0/pcs/superfile2').length;
        const rapid = calls.some((c) => c.endpoint === '/api/rapidupload' && c.errno === 0 && c.status < 400);
        const h = await status();
        if (h.uploadHost) health = h;
        if (parts === 0) return `no part sent (${rapid ? 'rapid upload' : 'TeraBox already had the content: precreate return_type 2'})`;
        return `${parts} part${parts === 1 ? '' : 's'} sent to ${h.uploadHost ?? 'the upload host'}${rapid ? '' : '; rapid upload not used'}`;
      };
      await step('PUT 1 MiB', put('one.bin', one));
      await step('PUT 9 MiB (parts)', put('nine.bin', nine));
      await step('PUT the 9 MiB again as another name (rapid upload)', put('nine-again.bin', nine));
      await step('GET a range of the 9 MiB', async () => {
        const got = await dav(base, 'GET', `${folder}/nine.bin`, { range: 'bytes=4194000-4195999' });
        expectStatus('GET range', got, [206]);
        if (!got.body.equals(nine.subarray(4194000, 4196000))) throw new StepFailed('GET range: the bytes differ from what was sent');
        return '2000 bytes across a part boundary match';
      });
      await step('GET the whole 9 MiB and the copy', async () => {
        for (const name of ['nine.bin', 'nine-again.bin']) {
          const got = await dav(base, 'GET', `${folder}/${name}`);
          expectStatus(`GET ${name}`, got, [200]);
          if (md5(got.body) !== md5(nine)) throw new StepFailed(`GET ${name}: the bytes differ from what was sent`);
        }
        const h = await status();
        health = h;
        return `md5 matches; download route ${h.downloadRoute ?? '?'}`;
      });
      await step('rename (MOVE in place)', async () => {
        expectStatus(
          'MOVE',
          await dav(base, 'MOVE', `${folder}/one.bin`, {
            destination: `${base.replace(/\/$/, '')}${encodeURI(folder)}/one-renamed.bin`,
            overwrite: 'F',
          }),
          [201],
        );
        return 'one.bin → one-renamed.bin';
      });
      await step('copy (COPY)', async () => {
        expectStatus(
          'COPY',
          await dav(base, 'COPY', `${folder}/one-renamed.bin`, {
            destination: `${base.replace(/\/$/, '')}${encodeURI(folder)}/one-copy.bin`,
            overwrite: 'F',
          }),
          [201],
        );
        return 'server-side copy';
      });
      await step('move into the subfolder (MOVE)', async () => {
        expectStatus(
          'MOVE',
          await dav(base, 'MOVE', `${folder}/one-copy.bin`, {
            destination: `${base.replace(/\/$/, '')}${encodeURI(folder)}/sub/one-copy.bin`,
            overwrite: 'F',
          }),
          [201],
        );
        const got = await dav(base, 'GET', `${folder}/sub/one-copy.bin`);
        expectStatus('GET moved', got, [200]);
        if (!got.body.equals(one)) throw new StepFailed('GET moved copy: the bytes differ');
        return 'moved copy reads back the same bytes';
      });
      await step('delete a file (DELETE)', async () => {
        expectStatus('DELETE', await dav(base, 'DELETE', `${folder}/nine-again.bin`), [204]);
        expectStatus('GET deleted', await dav(base, 'GET', `${folder}/nine-again.bin`), [404]);
        return 'gone';
      });
      await step('remove the folder (DELETE)', async () => {
        expectStatus('DELETE folder', await dav(base, 'DELETE', `${folder}/`), [204]);
        const [left] = await client.stat([folder]);
        if (left) throw new StepFailed('the folder is still on TeraBox after DELETE');
        return 'the folder is gone from TeraBox';
      });
    } catch (e) {
      if (!(e instanceof StepFailed)) throw e;
    }
    if (drive) {
      try {
        health = await status();
      } catch {
        // the report goes on without it
      }
    }
  } catch (e) {
    rows.push({ step: 'setup', ok: false, ms: 0, calls: log.take(), inferred: '', error: e instanceof Error ? e.message : String(e) });
  } finally {
    const failed = rows.some((r) => !r.ok);
    if (failed && api) {
      // Remove what this run made; only its own folder, and only if it exists.
      const started = performance.now();
      log.take();
      try {
        const [left] = await api.stat([folder]);
        if (left) await api.delete([folder]);
        rows.push({
          step: 'clean up after the failure',
          ok: true,
          ms: Math.round(performance.now() - started),
          calls: log.take(),
          inferred: left ? `${folder} removed` : 'nothing to remove',
        });
      } catch (e) {
        rows.push({
          step: 'clean up after the failure',
          ok: false,
          ms: Math.round(performance.now() - started),
          calls: log.take(),
          inferred: '',
          error: `could not remove ${folder}: ${(e as Error).message}`,
        });
      }
    }
    await drive?.close().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await rm(tmp, { recursive: true, force: true });
  }

  const passed = rows.filter((r) => r.ok && r.step !== 'clean up after the failure').length;
  const total = rows.filter((r) => r.step !== 'clean up after the failure').length;
  const failedRow = rows.find((r) => !r.ok);
  say(
    `terabox-webdav ${packageVersion()} smoke test against ${upstream || '(no upstream)'} at ${new Date().toISOString()}, Node ${process.version}`,
  );
  say('');
  say('| # | step | result | ms | TeraBox calls | errno | inferred |');
  say('|---|---|---|---|---|---|---|');
  rows.forEach((r, i) => {
    const result = r.ok ? 'ok' : `FAIL: ${r.error ?? ''}`;
    say(
      `| ${i + 1} | ${r.step} | ${result.replace(/\|/g, '/')} | ${r.ms} | ${summarizeCalls(r.calls)} | ${summarizeErrnos(r.calls)} | ${r.inferred.replace(/\|/g, '/')} |`,
    );
  });
  say('');
  const facts = [
    `api style ${health.apiStyle ?? '?'}`,
    `download route ${health.downloadRoute ?? '?'}`,
    `region ${health.region ?? '?'}`,
    `upload host ${health.uploadHost ?? '?'}`,
    `list page: ${pageNote}`,
    `pacing ${health.callsPerSecondLimit ?? 'off'}/s`,
  ].join('; ');
  say(`Inferred: ${facts}.`);
  if (!failedRow) {
    say(`VERDICT: PASS — all ${total} steps worked against ${upstream}.`);
    return 0;
  }
  say(`VERDICT: FAIL — ${passed} of ${total} steps passed; "${failedRow.step}" failed: ${failedRow.error ?? ''}`);
  return 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runSmoke({ env: process.env }).then(
    (code) => process.exit(code),
    (e: unknown) => {
      const redact = redactor(process.env.TERABOX_COOKIE ?? '');
      process.stderr.write(redact(`smoke test crashed: ${e instanceof Error ? e.message : String(e)}\n`));
      process.exit(1);
    },
  );
}
