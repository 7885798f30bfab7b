// The request pipeline every listener shares: route, count, added latency, injected faults, the
// handler, and a last-resort error answer so no request can crash the emulator or hang.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Errno } from '../../terabox/wire.js';
import { handleAdmin } from '../admin.js';
import type { EmulatorCore } from '../core.js';
import { latencyFor } from '../knobs.js';
import { Ctx, type ListenerInfo } from './context.js';
import { BadRequest } from './params.js';
import { route } from './routes.js';

const STATUS_TEXT = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable' } as const;

function gatewayPage(status: 500 | 502 | 503): string {
  const title = `${status} ${STATUS_TEXT[status]}`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

export async function dispatch(
  emu: EmulatorCore,
  listener: (req: IncomingMessage) => ListenerInfo,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://emulator');
  } catch {
    res.writeHead(400).end();
    return;
  }
  if (url.pathname.startsWith('/__emulator/')) return handleAdmin(emu, url, req, res);
  const r = route(url);
  if (!r) {
    res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><h1>404 Not Found</h1></body></html>');
    return;
  }
  const ctx = new Ctx(emu, req, res, url, r.endpoint, listener(req), r.xpan);
  ctx.stats.requests++;
  const started = performance.now();
  // The path only: queries carry jsTokens.
  res.once('close', () =>
    emu.logger.debug(
      { endpoint: r.endpoint, method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(performance.now() - started) },
      'emulator request',
    ),
  );
  try {
    const latency = latencyFor(emu.knobs, r.endpoint);
    if (latency > 0) await sleep(latency);
    const fault = emu.dice.draw(emu.knobs.faults[r.endpoint]);
    const limit = emu.knobs.rateLimit;
    if (limit && emu.rateLimiter.over(limit, r.endpoint, String(req.headers.cookie ?? ''))) {
      if (limit.answer === 'http429')
        await ctx.send(
          429,
          { 'content-type': 'text/html', 'retry-after': '1' },
          '<html><body><h1>429 Too Many Requests</h1></body></html>',
        );
      else if (r.pcs) await ctx.pcsFail(Errno.TOO_FREQUENT, 'operation too frequent');
      else await ctx.fail(Errno.TOO_FREQUENT, 'operation too frequent, try later');
    } else if (fault === 'http5xx') {
      const status = emu.dice.status5xx();
      await ctx.send(status, { 'content-type': 'text/html' }, gatewayPage(status));
    } else if (fault === 'errno31034') {
      if (r.pcs) await ctx.pcsFail(Errno.TOO_FREQUENT, 'operation too frequent');
      else await ctx.fail(Errno.TOO_FREQUENT, 'operation too frequent, try later');
    } else if (fault === 'errnoMinus7' && !r.pcs) {
      await ctx.fail(Errno.INVALID_NAME, 'param path file name is invalid');
    } else if (fault === 'reset' && r.endpoint !== 'superfile2' && r.endpoint !== 'data') {
      ctx.reset();
    } else {
      ctx.fault = fault;
      await r.handler(ctx);
    }
  } catch (e) {
    if (res.headersSent) {
      res.destroy();
    } else if (e instanceof BadRequest) {
      if (r.pcs) await ctx.pcsFail(31023, `param error: ${e.message}`);
      else await ctx.fail(Errno.PARAM, `param error: ${e.message}`);
    } else {
      emu.logger.error({ err: e, endpoint: r.endpoint }, 'emulator handler failed');
      await ctx.json({ errno: Errno.PCS_FAILED, errmsg: 'service failed' }, 500);
    }
  }
}
