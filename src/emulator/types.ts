// The emulator's public contract: options, knobs, stats and the handle startEmulator() returns.

import type { Logger } from '../log.js';

export type EndpointName =
  | 'page'
  | 'check/login'
  | 'list'
  | 'filemetas'
  | 'create'
  | 'precreate'
  | 'filemanager'
  | 'quota'
  | 'home/info'
  | 'download'
  | 'rapidupload'
  | 'membership'
  | 'locateupload'
  | 'superfile2'
  | 'dlink' // the redirecting link /api/download and filemetas hand out
  | 'data' // the byte-serving link the dlink redirects to
  | 'pcsdownload'; // /rest/2.0/pcs/file?method=download&path=… (the route that works where dlinks answer 400141)

export interface FaultRates {
  /** HTTP 500/502/503 before the request touches any state. */
  http5xx?: number;
  /** The socket is destroyed: mid-body for superfile2 and data, before answering elsewhere. */
  reset?: number;
  /** `errno 31034` ("operation too frequent"), `error_code` on PCS paths. */
  errno31034?: number;
  /** `errno -7` ("invalid file name or path") for a valid name, as seen during regional migrations; /api paths only. */
  errnoMinus7?: number;
}

export interface EmulatorKnobs {
  /** Added latency before answering, ms: one number for every endpoint, or per endpoint name. */
  latencyMs: number | Partial<Record<EndpointName, number>>;
  /** Per-connection bandwidth cap in bytes/s for request bodies read and response bodies written (0 = none). */
  bandwidthBytesPerSec: number;
  /** Per-account cap in bytes/s on download bodies (data links), shared by all its connections (0 = none). */
  accountDownloadBytesPerSec: number;
  /** Per-account cap in bytes/s on upload bodies (superfile2), shared by all its connections (0 = none). */
  accountUploadBytesPerSec: number;
  /** Fault rates (0..1) per endpoint name. */
  faults: Partial<Record<EndpointName, FaultRates>>;
  /** Seed of the PRNG that draws faults, so fault runs are reproducible. */
  faultSeed: number;
  /** jsToken lifetime (default 1 h). */
  tokenTtlMs: number;
  /** Download-link lifetime (default 8 h, as the reference's share dlink). */
  dlinkTtlMs: number;
  /** errno (non-zero) for 0-byte files at precreate/create/rapidupload; null = allowed. Default 2 (see knobs.ts). */
  emptyFileErrno: number | null;
  /** Smallest non-last part create accepts (31299 below it). Default 4 MiB. */
  minPartSize: number;
  /** Most parts create accepts (errno 10 above it). Default 2048. */
  maxParts: number;
  /** Largest page /api/list serves. Default 1000. */
  listMaxNum: number;
  /** Characters refused in names (errno -7). Default Baidu's set `\ : * ? " < > |`. */
  invalidNameChars: string;
  /**
   * Refuse (-7) a name that starts with a space. Default false: Baidu's rule refuses it but rclone's
   * TeraBox encoder does not escape it, so TeraBox may well accept it.
   */
  refuseLeadingSpace: boolean;
  /** Refuse (-7) a name that starts with a dot. Default false: Baidu's rule, but dot files are common. */
  refuseLeadingDot: boolean;
  /** How long an upload id from precreate stays usable by superfile2. Default 7 days. */
  uploadIdTtlMs: number;
  /**
   * precreate when TeraBox already holds every block (real block list or rapid parameters):
   * `commit` (default, Baidu's behaviour) commits the file and answers return_type 2 with `info`;
   * `bare` commits it but answers 2 without `info`; `no-commit` answers 2 and commits nothing (the
   * emulator's old answer, which a client that stops on 2 would lose a file to).
   */
  precreateRapid: 'commit' | 'bare' | 'no-commit';
  /** superfile2 refuses a request without the `uploadsign` precreate handed out (error_code 31023). Default false. */
  requireUploadSign: boolean;
  /** Download links (the dlink hop, and the data links filemetas hands out) answer errno 400141 "need verify" as a 200 JSON body, as from a datacenter IP. Default false. */
  dlinkNeedVerify: boolean;
  /** Download bodies (data links, the PCS route) have their first byte flipped; headers (content-md5) stay true. Default false. */
  corruptDownloads: boolean;
  /**
   * API calls per account above this rate are refused as "too frequent" (a token bucket of `burst`);
   * null (default) = no limit. Data transfers (superfile2, links, the PCS download route) and the web page are not counted.
   */
  rateLimit: { callsPerSecond: number; burst: number; answer?: 'errno31034' | 'http429' } | null;
}

export interface AccountOptions {
  name?: string;
  /** Space in bytes. Default 1 TiB (TeraBox's free plan: "1 TB free"). */
  quotaBytes?: number;
  /** Per-file size limit. Default 4 GiB, or 128 GiB when vip. */
  maxFileSize?: number;
  vip?: boolean;
  /** Region prefix ('jp', ...): the account works only on that region's listener. */
  region?: string;
  /** false: /api/rapidupload answers errno 413 (the "needs the referral program" answer). Default true. */
  rapidUpload?: boolean;
}

export interface EmulatorOptions {
  dataDir: string;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 = a free port. */
  port?: number;
  knobs?: Partial<EmulatorKnobs>;
  /** Extra listeners, one per region prefix, each on a free port of 127.0.0.1. */
  regions?: string[];
  /**
   * Region prefixes whose uploads go to a host of their own (like `<prefix>-data.terabox.com`): a
   * second listener that locateupload on the region's listener names. Each must be in `regions`.
   */
  regionUploadHosts?: string[];
  /** Default account settings (applied at every start; its cookie never changes). */
  defaultAccount?: AccountOptions;
  logger?: Logger;
}

export interface EndpointStats {
  requests: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
}

/** One request to a data link: what it asked for and how many body bytes it was sent. */
export interface DownloadRecord {
  requestId: number;
  /** The file name the link was minted for. */
  file: string;
  /** Byte range asked for (inclusive); the whole file when no Range was sent. */
  start: number;
  end: number;
  status: number;
  /** Body bytes actually sent (less than the range when the client went away or a fault cut it). */
  bytes: number;
}

export interface EmulatorStats {
  endpoints: Partial<Record<EndpointName, EndpointStats>>;
  store: { blocks: number; bytes: number };
  /** The latest data requests (up to 10,000), oldest first; cleared by resetStats. */
  downloads: DownloadRecord[];
}

export interface EmulatorEntry {
  fsId: number;
  path: string;
  isDir: boolean;
  size: number;
  /** Plain hex: the content MD5 for one part, md5 of the compact JSON block list otherwise. */
  md5: string;
  blockList: string[];
}

export interface EmulatorHandle {
  /** http://127.0.0.1:<port> */
  url: string;
  /** Region prefix → listener URL. */
  regionUrls: Record<string, string>;
  /** Region prefix → its own upload listener URL (options.regionUploadHosts). */
  regionUploadUrls: Record<string, string>;
  /** Full cookie string of the default account, e.g. "ndus=...; lang=en". */
  defaultCookie: string;
  stats(): EmulatorStats;
  resetStats(): void;
  setKnobs(k: Partial<EmulatorKnobs>): void;
  knobs(): EmulatorKnobs;
  /** Every jsToken issued so far is stale from now on. */
  expireTokens(): void;
  addAccount(opts?: AccountOptions): { cookie: string };
  /** Test inspection (reads the store, not the wire). Default cookie when none is given. */
  entry(path: string, cookie?: string): EmulatorEntry | null;
  readFile(path: string, cookie?: string): Promise<Buffer>;
  stop(): Promise<void>;
}
