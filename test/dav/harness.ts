// Starts the WebDAV server over a MemoryDrive on 127.0.0.1 (port 0 unless told) with a temporary SQLite state file.

import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import Database from 'better-sqlite3';
import { createDavServer, type DavOptions } from '../../src/dav/server.js';
import { tempDir } from '../support/index.js';
import { MemoryDrive } from './memory-drive.js';

export interface RunningDav {
  url: string;
  origin: string;
  drive: MemoryDrive;
  db: Database.Database;
  dbPath: string;
  server: Server;
  /** Stops the server and closes the database (the temp dir stays until cleanup()). */
  stop(): Promise<void>;
  /** stop() and remove the temp dir. */
  close(): Promise<void>;
}

export type HarnessOptions = Partial<Omit<DavOptions, 'drive' | 'db'>> & { drive?: MemoryDrive; dbPath?: string; port?: number };

export async function startDav(opts: HarnessOptions = {}): Promise<RunningDav> {
  const temp = opts.dbPath ? undefined : await tempDir('dav-test-');
  const dbPath = opts.dbPath ?? join(temp!.dir, 'state.db');
  const db = new Database(dbPath);
  const drive = opts.drive ?? new MemoryDrive();
  const { port: wantedPort = 0, ...davOpts } = opts;
  const server = createDavServer({ allowAnonymous: true, ...davOpts, drive, db });
  await new Promise<void>((resolve) => server.listen(wantedPort, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    db.close();
  };
  return {
    url: `http://127.0.0.1:${port}/`,
    origin: `http://127.0.0.1:${port}`,
    drive,
    db,
    dbPath,
    server,
    stop,
    close: async () => {
      await stop();
      await temp?.remove();
    },
  };
}
