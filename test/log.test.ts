import { expect } from 'chai';
import { waitFor } from './support/index.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { request } from 'undici';
import { startDrive } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { hashPassword } from '../src/util/password.js';
import { createLogger } from '../src/log.js';

function sink(tty = false): Writable & { text(): string; isTTY: boolean } {
  let text = '';
  const w = new Writable({
    write(chunk, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  return Object.assign(w, { text: () => text, isTTY: tty });
}

describe('logs', () => {
  it('are JSON lines by default and readable lines with the pretty format, secrets redacted in both', async () => {
    const json = sink();
    createLogger('info', json).info({ path: '/a', cookie: 'ndus=SECRET1', headers: { authorization: 'Basic SECRET2' } }, 'hello');
    const line = JSON.parse(json.text().trim()) as Record<string, unknown>;
    expect(line.msg).to.equal('hello');
    expect(json.text()).to.not.match(/SECRET/);

    const pretty = sink();
    createLogger('info', pretty, 'pretty').info({ path: '/a', cookie: 'ndus=SECRET1', jsToken: 'SECRET3' }, 'hello');
    const text = pretty.text();
    expect(text).to.match(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: hello \{/);
    expect(text).to.include('"path":"/a"');
    expect(text.trim().split('\n')).to.have.length(1); // one line per event
    expect(text).to.include('[redacted]');
    expect(text).to.not.match(/SECRET/);
    expect(text).to.not.match(/\x1b\[/); // no colours into a file or pipe

    // auto: pretty on a terminal, JSON elsewhere.
    const tty = sink(true);
    createLogger('info', tty, 'auto').info('on a terminal');
    expect(tty.text()).to.not.match(/^\{/);
    const pipe = sink(false);
    createLogger('info', pipe, 'auto').info('in a pipe');
    expect(pipe.text()).to.match(/^\{"level":30/);
  });

  describe('of the running drive', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'tbw-log-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("tell each upload's start, part retries with their reason, and commit with size, time and rate; never a secret, even at trace", async () => {
      const out = sink();
      const config = loadConfig({ flags: { dataDir: dir, 'server.port': 0, 'log.level': 'trace' }, env: {} });
      config.emulator.knobs = { minPartSize: 64 * 1024, faults: { superfile2: { http5xx: 0.5 } }, faultSeed: 3 };
      config.upload.ladder = { baseChunkSize: 64 * 1024, baseLimit: 1024 * 1024, maxChunkSize: 256 * 1024 };
      config.upload.parallel = 1;
      config.terabox.retry = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
      const password = 'Pw-Very-Secret-77';
      config.server.users = [{ name: 'carol', passwordHash: await hashPassword(password) }];
      const drive = await startDrive(config, createLogger('trace', out));
      const auth = 'Basic ' + Buffer.from(`carol:${password}`).toString('base64');
      try {
        const body = Buffer.alloc(192 * 1024, 9);
        const put = await request(`${drive.url}logged.bin`, { method: 'PUT', body, headers: { authorization: auth } });
        await put.body.dump();
        expect(put.statusCode).to.equal(201);
        // Write-back (the default) answers before the commit: its lines follow in the background.
        await waitFor(() => out.text().includes('"msg":"upload committed"'), { deadlineMs: 20_000, what: 'the commit is logged' });
        const lines = out
          .text()
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const started = lines.find((l) => l.msg === 'upload started');
        expect(started).to.include({ path: '/logged.bin', size: body.length, level: 30 });
        const retried = lines.filter((l) => l.msg === 'part failed; retrying');
        expect(retried.length).to.be.greaterThan(0);
        expect(retried[0]).to.include({ path: '/logged.bin' });
        expect(retried[0]!.err)
          .to.be.a('string')
          .and.match(/superfile2/);
        const committed = lines.find((l) => l.msg === 'upload committed');
        expect(committed).to.include({ path: '/logged.bin', size: body.length, level: 30 });
        expect(committed!.ms).to.be.a('number');
        expect(committed!.rate).to.be.a('number').and.greaterThan(0);

        const ndus = /ndus=([^;]+)/.exec(drive.emulator!.defaultCookie)![1]!;
        const text = out.text();
        expect(text).to.not.include(ndus);
        expect(text).to.not.include(password);
        expect(text).to.not.include(auth.slice(6));
        expect(text).to.not.match(/jsToken=[A-Za-z0-9]/);
      } finally {
        await drive.close();
      }
    });
  });
});
