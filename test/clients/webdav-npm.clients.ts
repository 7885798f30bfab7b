// The npm `webdav` client (5.x, the most used JavaScript WebDAV client) against the drive as a child
// process: a deep listing (PROPFIND Depth: infinity), ranged reads, and lock/unlock around a write.

import { expect } from 'chai';
import { createClient, type FileStat, type WebDAVClient } from 'webdav';
import { errorLines, startRig, type DriveRig } from './drive-rig.js';

const FILES: Record<string, Buffer> = {
  '/deep/top.txt': Buffer.from('top'),
  '/deep/a/one.bin': Buffer.alloc(70_000, 1),
  "/deep/a/b/it's two.txt": Buffer.from('two'),
  '/deep/a/b/c/a:b?.txt': Buffer.from('mapped'),
  '/deep/ünï/日本.txt': Buffer.from('unicode'),
};

describe('npm webdav client against the drive', () => {
  let rig: DriveRig;
  let client: WebDAVClient;

  before(async function () {
    this.timeout(120_000);
    rig = await startRig({ name: 'webdav-npm' });
    client = createClient(rig.url);
    for (const [path, bytes] of Object.entries(FILES)) {
      await client.createDirectory(path.slice(0, path.lastIndexOf('/')), { recursive: true });
      expect(await client.putFileContents(path, bytes), path).to.equal(true);
    }
  });
  after(async () => {
    await rig?.close();
  });

  it('lists a tree with getDirectoryContents({ deep: true })', async () => {
    const listed = (await client.getDirectoryContents('/deep', { deep: true })) as FileStat[];
    const files = listed
      .filter((f) => f.type === 'file')
      .map((f) => f.filename)
      .sort();
    expect(files).to.deep.equal(Object.keys(FILES).sort());
    const dirs = listed
      .filter((f) => f.type === 'directory')
      .map((f) => f.filename)
      .sort();
    expect(dirs).to.deep.equal(['/deep/a', '/deep/a/b', '/deep/a/b/c', '/deep/ünï']);
    for (const f of listed.filter((x) => x.type === 'file')) expect(f.size, f.filename).to.equal(FILES[f.filename]!.length);
    // TeraBox holds the mapped name.
    expect((await rig.terabox.read('/deep/a/b/c/a：b？.txt')).toString()).to.equal('mapped');
  });

  it('reads byte ranges', async () => {
    const whole = FILES['/deep/a/one.bin']!;
    for (const [start, end] of [
      [0, 0],
      [1000, 1999],
      [69_990, 69_999],
    ] as const) {
      const chunks: Buffer[] = [];
      const stream = client.createReadStream('/deep/a/one.bin', { range: { start, end } }) as unknown as AsyncIterable<Buffer>;
      for await (const chunk of stream) chunks.push(chunk);
      const got = Buffer.concat(chunks);
      expect(got.equals(whole.subarray(start, end + 1)), `${start}-${end}`).to.equal(true);
    }
    const text = await client.getFileContents('/deep/a/b/c/a:b?.txt', { format: 'text' });
    expect(text).to.equal('mapped');
  });

  it('locks a file against other writers and unlocks it', async () => {
    const path = '/deep/top.txt';
    const lock = await client.lock(path, { timeout: 'Second-60' });
    expect(lock.token).to.match(/^(urn:uuid:|opaquelocktoken:)/);
    const blocked = await client.putFileContents(path, 'intruder').then(
      () => 0,
      (e: { status?: number }) => e.status ?? -1,
    );
    expect(blocked).to.equal(423);
    await client.unlock(path, lock.token);
    expect(await client.putFileContents(path, 'after unlock')).to.equal(true);
    expect(await client.getFileContents(path, { format: 'text' })).to.equal('after unlock');
  });

  it('left no error in the server log', () => {
    expect(errorLines(rig)).to.deep.equal([]);
  });
});
