// startEmulator(): opens the store in dataDir, starts the main listener and one per region, and
// returns the handle tests, benchmarks and the CLI drive it with.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '../log.js';
import { statsOf } from './admin.js';
import { EmulatorCore } from './core.js';
import type { ListenerInfo } from './http/context.js';
import { dispatch } from './http/dispatch.js';
import { normalizePath, SHAPE_ONLY } from './paths.js';
import { checkAccountOptions, cookieFor, type Account } from './store/accounts.js';
import type { EmulatorEntry, EmulatorHandle, EmulatorOptions } from './types.js';

const WILDCARD = new Set(['0.0.0.0', '::', '']);

function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

async function listen(
  emu: EmulatorCore,
  host: string,
  port: number,
  region: string | null,
  uploadHost?: string,
): Promise<{ server: Server; url: string; host: string }> {
  const server = createServer();
  // Throttled uploads of big parts may take long; idle sockets still time out.
  server.requestTimeout = 0;
  server.setTimeout(120_000, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const self = hostPort(WILDCARD.has(host) ? '127.0.0.1' : host, bound);
  // Bound to every interface, the listener is whatever host the client reached it at.
  const info = (req: IncomingMessage): ListenerInfo => ({
    region,
    host: WILDCARD.has(host) ? (req.headers.host ?? self) : self,
    uploadHost,
  });
  server.on('request', (req, res) => {
    dispatch(emu, info, req, res).catch((e: unknown) => {
      emu.logger.error({ err: e }, 'emulator request failed');
      res.destroy();
    });
  });
  return { server, url: `http://${self}`, host: self };
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startEmulator(opts: EmulatorOptions): Promise<EmulatorHandle> {
  const regions = opts.regions ?? [];
  for (const r of regions) {
    if (!/^[a-z0-9-]+$/i.test(r)) throw new TypeError(`emulator region ${JSON.stringify(r)} is not a host prefix`);
  }
  if (new Set(regions).size !== regions.length) throw new TypeError('emulator regions must be distinct');
  const uploadRegions = opts.regionUploadHosts ?? [];
  for (const r of uploadRegions) {
    if (!regions.includes(r)) throw new TypeError(`emulator regionUploadHosts: ${JSON.stringify(r)} is not one of the regions`);
  }
  const emu = new EmulatorCore(opts.dataDir, opts.knobs, opts.logger ?? silentLogger);
  const servers: Server[] = [];
  let handle: EmulatorHandle;
  try {
    const defaultAccount = emu.defaultAccount(checkAccountOptions(opts.defaultAccount ?? {}));
    const main = await listen(emu, opts.host ?? '127.0.0.1', opts.port ?? 0, null);
    servers.push(main.server);
    for (const region of regions) {
      let uploadHost: string | undefined;
      if (uploadRegions.includes(region)) {
        const u = await listen(emu, '127.0.0.1', 0, region);
        servers.push(u.server);
        emu.regionUploadUrls[region] = u.url;
        uploadHost = u.host;
      }
      const l = await listen(emu, '127.0.0.1', 0, region, uploadHost);
      servers.push(l.server);
      emu.regionUrls[region] = l.url;
    }

    const accountOf = (cookie?: string): Account => {
      const a = cookie === undefined ? defaultAccount : emu.accounts.byCookie(cookie);
      if (!a) throw new Error('no emulator account has that cookie');
      return a;
    };
    const entryOf = (path: string, cookie?: string): EmulatorEntry | null => {
      const account = accountOf(cookie);
      const p = normalizePath(path, SHAPE_ONLY);
      const e = p === null ? null : emu.tree.get(account.id, p);
      if (!e) return null;
      const content = e.content ? emu.contents.get(e.content) : null;
      return { fsId: e.fsId, path: e.path, isDir: e.isDir, size: e.size, md5: e.etag ?? '', blockList: content?.blockList ?? [] };
    };
    let stopped: Promise<void> | null = null;

    handle = {
      url: main.url,
      regionUrls: { ...emu.regionUrls },
      regionUploadUrls: { ...emu.regionUploadUrls },
      defaultCookie: cookieFor(defaultAccount),
      stats: () => statsOf(emu),
      resetStats: () => emu.stats.reset(),
      setKnobs: (k) => emu.setKnobs(k),
      knobs: () => structuredClone(emu.knobs),
      expireTokens: () => emu.tokens.expireAll(),
      addAccount: (o) => ({ cookie: cookieFor(emu.addAccount(checkAccountOptions(o ?? {}))) }),
      entry: entryOf,
      readFile: async (path, cookie) => {
        const e = entryOf(path, cookie);
        if (!e || e.isDir) throw new Error(`no emulator file at ${path}`);
        const parts: Buffer[] = [];
        for (const md5 of e.blockList) {
          for await (const chunk of emu.blocks.read(md5, 0, Infinity) as AsyncIterable<Buffer>) parts.push(chunk);
        }
        return Buffer.concat(parts);
      },
      stop: () => {
        stopped ??= Promise.all(servers.map(close)).then(() => emu.close());
        return stopped;
      },
    };
  } catch (e) {
    await Promise.all(servers.map(close));
    await emu.close();
    throw e;
  }
  opts.logger?.info({ url: handle.url, regions: handle.regionUrls }, 'TeraBox emulator listening');
  return handle;
}
