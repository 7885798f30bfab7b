// Runs the WebDAV server over an in-memory drive for litmus and manual client tests:
//   npx tsx test/dav/serve-memory.ts [port] [user password]
// Prints the URL; stops on SIGINT/SIGTERM.

import { createLogger } from '../../src/log.js';
import { hashPassword } from '../../src/util/password.js';
import { startDav } from './harness.js';

const [portArg, user, password] = process.argv.slice(2);
const users = user && password ? [{ name: user, passwordHash: await hashPassword(password) }] : [];
const dav = await startDav({
  port: portArg ? Number(portArg) : 0,
  users,
  allowAnonymous: users.length === 0,
  logger: createLogger((process.env.LOG_LEVEL as 'debug' | undefined) ?? 'warn'),
});
process.stdout.write(`${dav.url}\n`);
const shutdown = () => void dav.close().then(() => process.exit(0));
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
