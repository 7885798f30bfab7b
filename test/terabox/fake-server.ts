// A tiny scripted HTTP server for transport tests that need a wire but not the emulator: each test
// sets the handler, the server records what arrived.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Body length in bytes (the body itself is empty when the server discards bodies). */
  bytes: number;
}

export type Handler = (req: Seen, res: http.ServerResponse) => void;

export class FakeServer {
  readonly seen: Seen[] = [];
  handler: Handler = (_req, res) => json(res, { errno: 0 });
  /** Count request bodies without keeping them (for memory measurements). */
  discardBodies = false;
  private readonly server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      if (!this.discardBodies) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks);
      const seen = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, body, bytes };
      this.seen.push(seen);
      this.handler(seen, res);
    });
  });

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  count(path: string): number {
    return this.seen.filter((s) => s.path === path).length;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function json(res: http.ServerResponse, body: unknown, status = 200, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}
