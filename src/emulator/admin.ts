// The admin HTTP endpoint (not counted in stats): GET /__emulator/stats, POST /__emulator/stats/reset,
// GET|POST /__emulator/knobs (JSON partial knobs), POST /__emulator/expire-tokens, and
// POST /__emulator/accounts (JSON AccountOptions → { cookie }) for benchmarks that need more accounts.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorCore } from './core.js';
import { checkAccountOptions, cookieFor } from './store/accounts.js';
import type { EmulatorStats } from './types.js';

const MAX_BODY = 1024 * 1024;

export function statsOf(emu: EmulatorCore): EmulatorStats {
  return { endpoints: emu.stats.snapshot(), store: emu.blocks.totals(), downloads: emu.stats.downloads() };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error('body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  return text === '' ? {} : JSON.parse(text);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export async function handleAdmin(emu: EmulatorCore, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const key = `${req.method} ${url.pathname}`;
  try {
    switch (key) {
      case 'GET /__emulator/stats':
        return reply(res, 200, statsOf(emu));
      case 'POST /__emulator/stats/reset':
        emu.stats.reset();
        return reply(res, 200, { ok: true });
      case 'GET /__emulator/knobs':
        return reply(res, 200, emu.knobs);
      case 'POST /__emulator/knobs':
        emu.setKnobs(await readJson(req));
        return reply(res, 200, emu.knobs);
      case 'POST /__emulator/expire-tokens':
        emu.tokens.expireAll();
        return reply(res, 200, { ok: true });
      case 'POST /__emulator/accounts':
        return reply(res, 200, { cookie: cookieFor(emu.addAccount(checkAccountOptions(await readJson(req)))) });
      default:
        return reply(res, 404, { error: `no admin endpoint ${key}` });
    }
  } catch (e) {
    reply(res, 400, { error: (e as Error).message });
  }
}
