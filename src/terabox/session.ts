// Session state shared by every call: the cookie, the current base URL (which a region switch moves),
// the page tokens (jsToken, bdstoken) with single-flight refresh, and the cached upload host.

import type { Logger } from '../log.js';
import type { PageTokens } from './js-token.js';

/** Fetches the web page at `baseUrl` and reads its tokens; `origin` is where the page finally came from. */
export type TokenScraper = (baseUrl: string) => Promise<{ tokens: PageTokens; origin: string; region?: string }>;

export interface SessionInit {
  cookie: string;
  baseUrl: string;
  regionUrl: (prefix: string) => string;
  scrape: TokenScraper;
  logger: Logger;
}

const REGION_PREFIX = /^[a-z0-9][a-z0-9-]{0,31}$/i;

export class Session {
  readonly cookie: string;
  private base: string;
  private readonly regionUrl: (prefix: string) => string;
  private readonly scrape: TokenScraper;
  private readonly logger: Logger;
  private tokens: PageTokens = {};
  private generation = 0;
  private pending?: Promise<void>;
  /** The locateupload answer (shared while in flight), reused until the region changes. */
  uploadHost?: Promise<string>;
  /** The upload host in use once located (for health; the region switch clears it). */
  uploadHostName?: string;
  /** The region prefix the session moved to, if any. */
  region?: string;
  /** When the page tokens were last scraped (ms since the epoch). */
  tokensAt?: number;
  /** Upload id → the uploadsign fields (JSON) precreate handed out for it (superfile2 sends them back). */
  uploadSigns = new Map<string, string>();

  constructor(init: SessionInit) {
    this.cookie = init.cookie;
    this.base = init.baseUrl;
    this.regionUrl = init.regionUrl;
    this.scrape = init.scrape;
    this.logger = init.logger;
  }

  get baseUrl(): string {
    return this.base;
  }

  get jsToken(): string | undefined {
    return this.tokens.jsToken;
  }

  get bdstoken(): string | undefined {
    return this.tokens.bdstoken;
  }

  /** Changes whenever the tokens do; a failed call compares it to know whether to scrape again. */
  get tokenGeneration(): number {
    return this.generation;
  }

  /** Scrapes the page if no jsToken is known yet. */
  async ensureTokens(): Promise<void> {
    if (this.tokens.jsToken === undefined) await this.refreshTokens(this.generation);
  }

  /**
   * Re-scrapes the tokens unless they changed since `seenGeneration` (another call already refreshed
   * them). Concurrent callers share one page fetch.
   */
  refreshTokens(seenGeneration: number): Promise<void> {
    if (seenGeneration !== this.generation) return Promise.resolve();
    this.pending ??= this.scrapeNow().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async scrapeNow(): Promise<void> {
    const from = this.base;
    const { tokens, origin, region } = await this.scrape(from);
    // A region switch while the page was loading makes these tokens the wrong region's.
    if (this.base !== from) return;
    if (origin !== from) {
      this.logger.info({ from, to: origin }, 'terabox: web page moved to another host; following it');
      this.base = origin;
      if (region !== undefined) this.region = region;
      this.uploadHost = undefined;
      this.uploadHostName = undefined;
    }
    this.tokens = tokens;
    this.tokensAt = Date.now();
    this.generation++;
    this.logger.debug({ hasBdstoken: tokens.bdstoken !== undefined }, 'terabox: page tokens refreshed');
  }

  /**
   * Moves the session to the region `prefix` names. Returns false (and changes nothing) when the
   * prefix is malformed or names the region already in use, so a caller retries at most once.
   */
  switchRegion(prefix: string): boolean {
    if (!REGION_PREFIX.test(prefix)) return false;
    let next: string;
    try {
      next = new URL(this.regionUrl(prefix)).origin;
    } catch {
      return false;
    }
    if (next === this.base) return false;
    this.logger.info({ from: this.base, to: next, prefix }, 'terabox: switching region');
    this.base = next;
    this.region = prefix;
    this.tokens = {};
    this.generation++;
    // The upload host moves with the region (locateupload answers the region's own host).
    this.uploadHost = undefined;
    this.uploadHostName = undefined;
    return true;
  }
}
