// /rest/2.0/pcs/file?method=locateupload: the upload host, which is the listener asked (so each
// region's listener names itself), or the region's own upload listener when it has one (live:
// `<prefix>-data.terabox.com` or a cluster such as `dm1`). No cookie needed (OpenList calls it without one).

import type { Ctx } from '../http/context.js';
import { unixNow } from '../core.js';

export async function locateupload(ctx: Ctx): Promise<void> {
  const host = ctx.listener.uploadHost ?? ctx.listener.host;
  await ctx.json({
    host,
    server: [host],
    servers: [{ server: `http://${host}` }],
    bak_servers: [],
    expire: 60,
    client_ip: ctx.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '',
    error_code: 0,
    error_msg: '',
    server_time: unixNow(),
  });
}
