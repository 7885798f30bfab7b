// Reading a TeraBox file's bytes: through a cached download link, re-minted once when it expired
// early, checked against the size the listing gave, and resumed from the byte reached when TeraBox
// cuts a body off (see read-stream.ts).

import { Readable } from 'node:stream';
import type { DownloadLink, DownloadResponse, RemoteEntry } from '../terabox/api.js';
import { isTeraBoxError } from '../terabox/errors.js';
import { md5Checked, plainContentMd5 } from './content-md5.js';
import type { DriveCore } from './core.js';
import { toDriveError } from './errors.js';
import { LinkCache } from './link-cache.js';
import { parentOf } from './paths.js';
import { withDriveErrors } from './read-stream.js';
import { DriveError, type ByteRange, type Entry } from './types.js';

export class Downloads {
  private readonly links: LinkCache;

  constructor(
    private readonly core: DriveCore,
    opts: { linkMarginMs: number },
  ) {
    this.links = new LinkCache({ marginMs: opts.linkMarginMs, now: core.now });
  }

  /**
   * The bytes of a TeraBox file (or a range of it). `seen` hears the whole-file MD5 TeraBox sent with
   * the answer (`content-md5`, plain hex), if any; a read of the whole file is checked against it here
   * (see content-md5.ts: a mismatch cuts the body short with an error).
   */
  async download(
    entry: Entry,
    remote: RemoteEntry,
    range: ByteRange | undefined,
    signal?: AbortSignal,
    seen?: (contentMd5: string) => void,
  ): Promise<Readable> {
    const what = `read ${remote.path}`;
    const first = await this.openDownload(entry, remote, range, signal);
    const md5 = plainContentMd5(first.contentMd5);
    if (md5 !== undefined) seen?.(md5);
    const start = range?.start ?? 0;
    const end = range?.end ?? entry.size - 1;
    const body = withDriveErrors(first.body, what, signal, {
      // A break after the last byte leaves nothing to fetch (and a range past the end would be a 416).
      reopen: async (delivered) =>
        start + delivered > end
          ? Readable.from([])
          : (await this.openDownload(entry, remote, { start: start + delivered, end }, signal)).body,
    });
    if (md5 === undefined || start !== 0 || end !== entry.size - 1) return body;
    const checked = Readable.from(
      md5Checked(body, () => md5, what),
      { objectMode: false },
    );
    checked.once('close', () => body.destroy());
    return checked;
  }

  clear(): void {
    this.links.clear();
  }

  /** One download request for a range (or the whole file), checked against the size the listing gave. */
  private async openDownload(
    entry: Entry,
    remote: RemoteEntry,
    range: ByteRange | undefined,
    signal?: AbortSignal,
  ): Promise<DownloadResponse> {
    const { api, dirs } = this.core;
    const key = `${remote.path}\n${entry.etag}`;
    const what = `read ${remote.path}`;
    for (let attempt = 1; ; attempt++) {
      let link: DownloadLink | undefined; // so parallel fetches share one re-mint
      try {
        link = await this.links.get(key, () => api.downloadLink(remote));
        const res = await api.download(link, range, signal);
        const expected = range ? range.end - range.start + 1 : entry.size;
        if (res.length !== expected || res.totalSize !== entry.size) {
          res.body.destroy();
          // The file changed on TeraBox since it was listed: forget the listing, let the client retry.
          dirs.invalidate(parentOf(remote.path));
          throw new DriveError(
            'UPSTREAM',
            `${what}: TeraBox answered ${res.length} bytes of ${res.totalSize}, expected ${expected} of ${entry.size}`,
          );
        }
        return res;
      } catch (e) {
        if (attempt === 1 && isTeraBoxError(e, 'LINK_EXPIRED')) {
          this.links.forget(key, link); // only if no other fetch re-minted it already
          continue;
        }
        if (isTeraBoxError(e, 'NOT_FOUND')) dirs.invalidate(parentOf(remote.path));
        throw toDriveError(e, what);
      }
    }
  }
}
