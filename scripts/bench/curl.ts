// The HTTP requests a benchmark measures, made by curl (as the issues ask) with curl's own timing
// (-w time_total). A timed PUT feeds curl from a pipe so the harness also knows when the last byte
// went into curl, and with that how long the server took to answer after the body was sent.

import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';

export interface CurlResult {
  /** HTTP status (0 when curl got no answer). */
  status: number;
  /** curl's exit code (0 = the transfer itself worked). */
  exitCode: number;
  /** curl's time_total, seconds. */
  seconds: number;
  /** Bytes received in the body. */
  downloaded: number;
  stderr: string;
}

export interface TimedPutResult extends CurlResult {
  /** From the last body byte accepted by curl's stdin pipe to curl exiting with the answer, ms. */
  tailMs: number;
}

const WRITE_OUT = '\n%{http_code} %{time_total} %{size_download}\n';

function parseWriteOut(stdout: string, exitCode: number, stderr: string): CurlResult {
  const m = /(\d{3}) ([\d.]+) (\d+)\s*$/.exec(stdout);
  return {
    status: m ? Number(m[1]) : 0,
    exitCode,
    seconds: m ? Number(m[2]) : NaN,
    downloaded: m ? Number(m[3]) : 0,
    stderr: stderr.trim(),
  };
}

/** Runs curl; optionally streams `stdinFile` into it and reports when the last byte was accepted. */
function runCurl(args: string[], stdinFile?: string): Promise<CurlResult & { lastByteAt?: number; exitAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-sS', '-w', WRITE_OUT, ...args], { stdio: [stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let lastByteAt: number | undefined;
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    if (stdinFile) {
      // 'finish' fires once every byte has been written into the pipe (curl then holds at most the
      // pipe's 64 KiB plus its socket buffers).
      child.stdin!.once('finish', () => (lastByteAt = performance.now()));
      pipeline(createReadStream(stdinFile, { highWaterMark: 1024 * 1024 }), child.stdin!).catch((e: Error) => {
        stderr += `\nfeeding curl failed: ${e.message}`;
      });
    }
    child.once('error', reject);
    child.once('close', (code) => {
      resolve({ ...parseWriteOut(stdout, code ?? -1, stderr), lastByteAt, exitAt: performance.now() });
    });
  });
}

/** PUT `file` (of `bytes` bytes) with curl reading it from a pipe, with an explicit Content-Length. */
export async function timedPut(url: string, file: string, bytes: number): Promise<TimedPutResult> {
  const r = await runCurl(['-T', '-', '-H', `Content-Length: ${bytes}`, '-H', 'Transfer-Encoding:', '-o', '/dev/null', url], file);
  return { ...r, tailMs: r.lastByteAt === undefined ? NaN : r.exitAt - r.lastByteAt };
}

/** PUT `file` with curl reading it itself. */
export function put(url: string, file: string): Promise<CurlResult> {
  return runCurl(['-T', file, '-o', '/dev/null', url]);
}

/** GET into /dev/null, optionally one byte range (inclusive). */
export function get(url: string, range?: { start: number; end: number }): Promise<CurlResult> {
  return runCurl([...(range ? ['-r', `${range.start}-${range.end}`] : []), '-o', '/dev/null', url]);
}

/** PROPFIND Depth 1 with no body (allprop), the answer saved to `out` (or dropped). */
export function propfind(url: string, out = '/dev/null'): Promise<CurlResult> {
  return runCurl(['-X', 'PROPFIND', '-H', 'Depth: 1', '-o', out, url]);
}

/** A short description of a failed request, for the table's error column and the log. */
export function failureOf(r: CurlResult, expected: readonly number[]): string | undefined {
  if (r.exitCode === 0 && expected.includes(r.status)) return undefined;
  return `HTTP ${r.status}, curl exit ${r.exitCode}${r.stderr ? `: ${r.stderr.split('\n')[0]}` : ''}`;
}
