// What the client knows about how TeraBox answers: reachable or not, the last failure, the routes and
// hosts it settled on, and its call rate against the pacing limit. The status snapshot
// (src/drive/status.ts) shows TeraBoxHealth as it is: a field added here is a field of the snapshot.

export interface TeraBoxHealth {
  /** False after the last call failed to reach TeraBox (network or 5xx); true after any answer. */
  reachable: boolean;
  lastError?: { message: string; at: string };
  lastTokenRefresh?: string;
  region?: string;
  uploadHost?: string;
  apiStyle?: string;
  downloadRoute?: string;
  /** API calls per second over the last few seconds, and the pacing limit. */
  callsPerSecond?: number;
  callsPerSecondLimit?: number;
}

/** Download routes: dlna links (filemetas), the official signed dlink, or the PCS file route. */
export type DownloadRoute = 'dlna' | 'official' | 'pcs';

/** Mutable health facts, written by the caller and the call modules. */
export class HealthTracker {
  reachable = true;
  lastError?: { message: string; at: string };
  /** The route downloads use this session (moves to `pcs` after a 400141 "need verify"). */
  downloadRoute?: DownloadRoute;
  constructor(private readonly now: () => number = Date.now) {}

  answered(): void {
    this.reachable = true;
  }

  failed(message: string, unreachable: boolean): void {
    if (unreachable) this.reachable = false;
    this.lastError = { message, at: new Date(this.now()).toISOString() };
  }
}
