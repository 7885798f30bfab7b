#!/usr/bin/env node
// Command line: `serve` (the WebDAV drive), `emulator` (the standalone TeraBox emulator),
// `hash-password` (a password hash for server.users) and `status` (a running drive's upload queue).

import { Command, Option } from 'commander';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { loadConfig, ConfigError, type Config } from './config.js';
import { createLogger, type Logger } from './log.js';

/** Runs until SIGINT/SIGTERM, then closes what it started. */
function closeOnSignal(logger: Logger, close: () => Promise<void>): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) process.exit(1);
    closing = true;
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        logger.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

/** Loads settings or exits with the message that names the bad one. */
function settings(flags: Record<string, unknown>, configFile: string | undefined): Config {
  try {
    return loadConfig({ flags, env: process.env, configFile });
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`terabox-webdav: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}

function fail(logger: Logger, what: string, e: unknown): never {
  logger.fatal({ err: e }, `${what}: ${(e as Error).message}`);
  process.exit(1);
}

/** Parses `--fault endpoint:kind=rate` (kind: http5xx | reset | errno31034). */
function collectFault(value: string, previous: Record<string, Record<string, number>>): Record<string, Record<string, number>> {
  const m = /^([a-z0-9/]+):(http5xx|reset|errno31034)=(0(?:\.\d+)?|1(?:\.0+)?)$/.exec(value.trim());
  if (!m) throw new ConfigError(`invalid --fault ${JSON.stringify(value)}: expected endpoint:kind=rate, e.g. superfile2:http5xx=0.2`);
  const [, endpoint, kind, rate] = m;
  return { ...previous, [endpoint!]: { ...previous[endpoint!], [kind!]: Number(rate) } };
}

/** One line from standard input, unseen when typed at a terminal (asked for on stderr). */
async function readPassword(prompt = 'password: '): Promise<string> {
  const tty = process.stdin.isTTY === true;
  // readline echoes what it reads at a terminal to its output (and keeps the terminal's own echo
  // off): an output that drops everything reads the password unseen.
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: tty });
  if (tty) process.stderr.write(prompt);
  const line = await new Promise<string>((done) => rl.once('line', done).once('close', () => done('')));
  rl.close();
  if (tty) process.stderr.write('\n');
  return line;
}

/** The logging options `serve` and `emulator` share. */
function logLevelOption(): Option {
  return new Option('--log-level <level>', 'log level (log.level)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
}

function logFormatOption(): Option {
  return new Option('--log-format <format>', 'json lines, readable pretty lines, or auto: pretty on a terminal (log.format)').choices([
    'json',
    'pretty',
    'auto',
  ]);
}

const program = new Command();
program.name('terabox-webdav').description('A WebDAV drive over TeraBox, with a local TeraBox emulator.').showHelpAfterError();

program
  .command('serve')
  .description('serve the WebDAV drive (with the embedded emulator when no TeraBox cookie is configured)')
  .option('--port <port>', 'port to listen on (server.port; env TERABOX_WEBDAV_PORT)')
  .option('--host <host>', 'address to listen on (server.host; env TERABOX_WEBDAV_HOST)')
  .option('--data <dir>', 'folder for local state, spool and the embedded emulator (dataDir; env TERABOX_WEBDAV_DATA)')
  .option('--upstream <url>', 'TeraBox web host (terabox.baseUrl; env TERABOX_UPSTREAM)')
  .option('--cookie <cookie>', 'TeraBox cookie or bare ndus value (terabox.cookie; prefer env TERABOX_COOKIE: flags show in ps)')
  .option('--config <file>', 'JSON settings file (env TERABOX_WEBDAV_CONFIG)')
  .option('--read-only', 'refuse every write (server.readOnly)')
  .addOption(
    new Option(
      '--upload-mode <mode>',
      'answer a PUT once stored locally or once on TeraBox (upload.mode; env TERABOX_UPLOAD_MODE)',
    ).choices(['write-back', 'write-through']),
  )
  .addOption(
    new Option('--cache-mode <mode>', 'block cache for reads (cache.mode; env TERABOX_WEBDAV_CACHE_MODE)').choices(['full', 'off']),
  )
  .option('--cache-max-bytes <bytes>', 'most bytes the block cache holds (cache.maxBytes; env TERABOX_WEBDAV_CACHE_MAX_BYTES)')
  .option('--download-parallel <n>', 'chunk fetches in flight per sequential reader (download.parallel; env TERABOX_DOWNLOAD_PARALLEL)')
  .addOption(logLevelOption())
  .addOption(logFormatOption())
  .action(async (opts: Record<string, string | boolean | undefined>) => {
    const config = settings(
      {
        'server.port': opts.port,
        'server.host': opts.host,
        dataDir: opts.data,
        'terabox.baseUrl': opts.upstream,
        'terabox.cookie': opts.cookie,
        'server.readOnly': opts.readOnly,
        'upload.mode': opts.uploadMode,
        'cache.mode': opts.cacheMode,
        'cache.maxBytes': opts.cacheMaxBytes,
        'download.parallel': opts.downloadParallel,
        'log.level': opts.logLevel,
        'log.format': opts.logFormat,
      },
      opts.config as string | undefined,
    );
    const logger = createLogger(config.log.level, undefined, config.log.format);
    const { startDrive } = await import('./app.js');
    try {
      const running = await startDrive(config, logger);
      closeOnSignal(logger, running.close);
    } catch (e) {
      fail(logger, 'cannot start the drive', e);
    }
  });

program
  .command('emulator')
  .description('run the standalone TeraBox emulator')
  .option('--port <port>', 'port to listen on (emulator.port; 0 = a free port)', '8090')
  .option('--host <host>', 'address to listen on (emulator.host)')
  .option('--data <dir>', 'folder for the emulator store (dataDir)')
  .option('--config <file>', 'JSON settings file; its emulator.knobs apply')
  .option('--latency <ms>', 'added latency per call, ms')
  .option('--bandwidth <bytesPerSecond>', 'bandwidth cap per connection, bytes/s (0 = none)')
  .option('--account-download-bandwidth <bytesPerSecond>', 'download cap per account over all its connections, bytes/s (0 = none)')
  .option('--account-upload-bandwidth <bytesPerSecond>', 'upload cap per account over all its connections, bytes/s (0 = none)')
  .option('--token-ttl <seconds>', 'jsToken lifetime, seconds')
  .option('--fault <endpoint:kind=rate>', 'fault rate for an endpoint, repeatable (kind: http5xx, reset, errno31034)', collectFault, {})
  .addOption(logLevelOption())
  .addOption(logFormatOption())
  .action(async (opts: Record<string, unknown>) => {
    const config = settings(
      {
        'emulator.port': opts.port,
        'emulator.host': opts.host,
        dataDir: opts.data,
        'log.level': opts.logLevel,
        'log.format': opts.logFormat,
      },
      opts.config as string | undefined,
    );
    const logger = createLogger(config.log.level, undefined, config.log.format);
    const knobs: Record<string, unknown> = { ...config.emulator.knobs };
    const number = (flag: string, value: unknown, scale = 1): number | undefined => {
      if (value === undefined) return undefined;
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0) {
        process.stderr.write(`terabox-webdav: invalid --${flag} ${JSON.stringify(value)}: expected a number ≥ 0\n`);
        process.exit(2);
      }
      return n * scale;
    };
    const latency = number('latency', opts.latency);
    const bandwidth = number('bandwidth', opts.bandwidth);
    const tokenTtl = number('token-ttl', opts.tokenTtl, 1000);
    if (latency !== undefined) knobs.latencyMs = latency;
    if (bandwidth !== undefined) knobs.bandwidthBytesPerSec = bandwidth;
    const accountDown = number('account-download-bandwidth', opts.accountDownloadBandwidth);
    const accountUp = number('account-upload-bandwidth', opts.accountUploadBandwidth);
    if (accountDown !== undefined) knobs.accountDownloadBytesPerSec = accountDown;
    if (accountUp !== undefined) knobs.accountUploadBytesPerSec = accountUp;
    if (tokenTtl !== undefined) knobs.tokenTtlMs = tokenTtl;
    if (Object.keys(opts.fault as object).length > 0) knobs.faults = opts.fault;

    const { startEmulator } = await import('./emulator/index.js');
    try {
      const emu = await startEmulator({
        dataDir: config.dataDir,
        host: config.emulator.host,
        port: config.emulator.port,
        knobs,
        logger: logger.child({ component: 'emulator' }),
      });
      logger.info({ url: emu.url, data: config.dataDir }, `TeraBox emulator at ${emu.url} (data in ${config.dataDir})`);
      // The cookie is printed once, on stdout, for the user to copy; it is this local emulator's, not a TeraBox secret.
      process.stdout.write(`TERABOX_UPSTREAM=${emu.url}\nTERABOX_COOKIE='${emu.defaultCookie}'\n`);
      closeOnSignal(logger, () => emu.stop());
    } catch (e) {
      fail(logger, 'cannot start the emulator', e);
    }
  });

program
  .command('hash-password')
  .description('read a password from standard input and print its scrypt hash for server.users')
  .action(async () => {
    const { hashPassword } = await import('./util/password.js');
    const line = await readPassword();
    if (!line) {
      process.stderr.write('terabox-webdav: no password given\n');
      process.exit(2);
    }
    process.stdout.write(`${await hashPassword(line)}\n`);
  });

program
  .command('status')
  .description(
    "print a running drive's upload queue (exit 0: nothing failed, 1: an upload failed, 2: no status, 3: --wait deadline passed)",
  )
  .option('--port <port>', "the drive's port (server.port; env TERABOX_WEBDAV_PORT)")
  .option('--host <host>', "the drive's address (server.host; env TERABOX_WEBDAV_HOST)")
  .option('--config <file>', 'JSON settings file, the one `serve` uses (env TERABOX_WEBDAV_CONFIG)')
  .option('--url <url>', 'status address instead, e.g. https://dav.example.com/.well-known/terabox-webdav/status.json')
  .option('--user <name>', 'user for Basic auth; the password comes from env TERABOX_WEBDAV_PASSWORD or is asked for')
  .option('--watch', 'redraw the queue with progress bars until interrupted (or the --timeout)')
  .option('--wait', 'block until nothing is pending or uploading, then exit as above')
  .option('--timeout <seconds>', 'how long --watch and --wait may run', '86400')
  .option('--interval <seconds>', 'seconds between polls', '1')
  .action(async (opts: Record<string, string | boolean | undefined>) => {
    const seconds = (flag: string, value: unknown): number => {
      const n = Number(value);
      if (!Number.isFinite(n) || n <= 0) {
        process.stderr.write(`terabox-webdav: invalid --${flag} ${JSON.stringify(value)}: expected seconds > 0\n`);
        process.exit(2);
      }
      return n * 1000;
    };
    const { runStatusCommand, statusUrl } = await import('./status-command.js');
    let url = opts.url as string | undefined;
    if (url === undefined) {
      const config = settings({ 'server.port': opts.port, 'server.host': opts.host }, opts.config as string | undefined);
      url = statusUrl(config.server.host, config.server.port);
    }
    const user = opts.user as string | undefined;
    let password = process.env.TERABOX_WEBDAV_PASSWORD;
    if (user !== undefined && password === undefined) {
      if (process.stdin.isTTY !== true) {
        process.stderr.write('terabox-webdav: --user needs the password in TERABOX_WEBDAV_PASSWORD (or a terminal to type it at)\n');
        process.exit(2);
      }
      password = await readPassword(`password for ${user}: `);
    }
    const code = await runStatusCommand({
      url,
      user,
      password,
      watch: opts.watch === true,
      wait: opts.wait === true,
      intervalMs: seconds('interval', opts.interval),
      deadlineMs: seconds('timeout', opts.timeout),
      out: process.stdout,
      err: process.stderr,
    });
    process.exit(code);
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`terabox-webdav: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(e instanceof ConfigError ? 2 : 1);
});
