// The emulator's state shared by every listener and handler: the store, the knobs, stats, fault dice
// and the request-id sequence. Handlers reach it through their request context.

import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Logger } from '../log.js';
import { FaultDice } from './faults.js';
import { RateLimiter } from './rate-limit.js';
import { DEFAULT_KNOBS, mergeKnobs } from './knobs.js';
import { Stats } from './stats.js';
import { Accounts, type Account } from './store/accounts.js';
import { BlockStore } from './store/blocks.js';
import { Contents } from './store/contents.js';
import { linkSecret, openDb, type Db } from './store/db.js';
import { Sessions } from './store/sessions.js';
import { Tokens } from './store/tokens.js';
import { Tree } from './store/tree.js';
import type { AccountOptions, EmulatorKnobs } from './types.js';

export class EmulatorCore {
  readonly db: Db;
  readonly blocks: BlockStore;
  readonly contents: Contents;
  readonly tree: Tree;
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly tokens: Tokens;
  readonly stats = new Stats();
  readonly dice: FaultDice;
  readonly rateLimiter = new RateLimiter();
  readonly linkSecret: Buffer;
  knobs: EmulatorKnobs;
  /** Region prefix → base URL of its listener. */
  readonly regionUrls: Record<string, string> = {};
  /** Region prefix → base URL of its own upload listener, when it has one. */
  readonly regionUploadUrls: Record<string, string> = {};
  private requestSeq: number;

  constructor(
    dataDir: string,
    knobs: Partial<EmulatorKnobs> | undefined,
    readonly logger: Logger,
  ) {
    this.knobs = mergeKnobs({ ...DEFAULT_KNOBS }, knobs);
    mkdirSync(dataDir, { recursive: true });
    this.db = openDb(dataDir);
    this.blocks = new BlockStore(dataDir, this.db);
    this.contents = new Contents(this.db, this.blocks, logger);
    this.tree = new Tree(this.db);
    this.accounts = new Accounts(this.db);
    this.sessions = new Sessions(this.db);
    this.tokens = new Tokens(this.db);
    this.linkSecret = linkSecret(this.db);
    this.dice = new FaultDice(this.knobs.faultSeed);
    this.sessions.pruneExpired(Date.now());
    // request_ids look like TeraBox's large decimal numbers, kept within JSON-safe integers.
    this.requestSeq = 1_000_000_000_000_000 + randomInt(2 ** 47);
  }

  nextRequestId(): number {
    return ++this.requestSeq;
  }

  setKnobs(patch: unknown): void {
    const next = mergeKnobs(this.knobs, patch);
    if ((patch as Partial<EmulatorKnobs>).faultSeed !== undefined) this.dice.reseed(next.faultSeed);
    this.knobs = next;
  }

  private withRoot = (a: Account) => {
    this.tree.insert(a.id, { path: '/', isDir: true, size: 0, content: null, time: unixNow() });
  };

  addAccount(opts: AccountOptions = {}): Account {
    return this.accounts.add(opts, this.withRoot);
  }

  defaultAccount(opts: AccountOptions = {}): Account {
    return this.accounts.ensureDefault(opts, this.withRoot);
  }

  async close(): Promise<void> {
    await this.contents.stop();
    this.db.close();
  }
}

/** Server time in unix seconds. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
