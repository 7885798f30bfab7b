// Workarounds for known client bugs, over HTTP: each applies to its client only.

import { expect } from 'chai';
import { overwriteFalseMeansTrue } from '../../src/dav/client-quirks.js';
import { startDav, type RunningDav } from './harness.js';
import { dav } from './client.js';

describe('dav client quirks', () => {
  let s: RunningDav;
  beforeEach(async () => {
    s = await startDav();
    s.drive.putFile('/new.txt', 'new bytes');
    s.drive.putFile('/old.txt', 'old');
  });
  afterEach(async () => {
    await s.close();
  });

  it('recognises rclone by its User-Agent, versioned or bare (Debian builds send "rclone/")', () => {
    expect(overwriteFalseMeansTrue('rclone/v1.60.1')).to.equal(true);
    expect(overwriteFalseMeansTrue('rclone/')).to.equal(true);
    expect(overwriteFalseMeansTrue('WebDAVFS/3.0.0 (03008000) Darwin/22.1.0 (x86_64)')).to.equal(false);
    expect(overwriteFalseMeansTrue('cadaver/0.24 neon/0.32.5')).to.equal(false);
    expect(overwriteFalseMeansTrue(undefined)).to.equal(false);
  });

  it('replaces an existing file when rclone sends COPY with Overwrite: F (rclone#6964), 204', async () => {
    const res = await dav(s.origin, 'COPY', '/new.txt', {
      headers: { destination: `${s.origin}/old.txt`, overwrite: 'F', 'user-agent': 'rclone/' },
    });
    expect(res.status).to.equal(204);
    expect(s.drive.content('/old.txt')!.toString()).to.equal('new bytes');
    expect(s.drive.content('/new.txt')!.toString()).to.equal('new bytes');
  });

  it('replaces an existing file when rclone sends MOVE with Overwrite: F, 204', async () => {
    const res = await dav(s.origin, 'MOVE', '/new.txt', {
      headers: { destination: '/old.txt', overwrite: 'F', 'user-agent': 'rclone/v1.62.2' },
    });
    expect(res.status).to.equal(204);
    expect(s.drive.content('/old.txt')!.toString()).to.equal('new bytes');
    expect(s.drive.has('/new.txt')).to.equal(false);
  });

  it('still answers 412 to Overwrite: F from every other client, leaving the destination alone', async () => {
    for (const ua of ['cadaver/0.24 neon/0.32.5', 'Microsoft-WebDAV-MiniRedir/10.0.19045']) {
      const res = await dav(s.origin, 'COPY', '/new.txt', { headers: { destination: '/old.txt', overwrite: 'F', 'user-agent': ua } });
      expect(res.status, ua).to.equal(412);
    }
    expect(s.drive.content('/old.txt')!.toString()).to.equal('old');
  });
});
