import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TeraBoxDrive } from '../../src/drive/index.js';
import { codeOf, get } from './harness.js';
import { bytes, startStack, type Stack } from '../support/index.js';

/** A body that delivers its first half now and the rest when `finish()` is called. */
function slowBody(data: Buffer) {
  const stream = new PassThrough();
  stream.write(data.subarray(0, data.length / 2));
  return { stream, finish: () => stream.end(data.subarray(data.length / 2)) };
}

/** What TeraBox holds under dir (names), or null when dir is not there. */
async function remoteNames(s: Stack, dir: string): Promise<string[] | null> {
  try {
    return (await s.api.list(dir)).map((e) => e.name).sort();
  } catch {
    return null;
  }
}

for (const mode of ['write-through', 'write-back'] as const)
  describe(`drive (${mode}): namespace operations racing a PUT that is still receiving its body`, function () {
    this.timeout(60_000);
    let s: Stack;
    let drive: TeraBoxDrive;
    before(async () => {
      s = await startStack({ knobs: { minPartSize: 64 * 1024 } });
    });
    after(async () => {
      await s.stop();
    });
    beforeEach(async () => {
      drive = (await s.freshDrive({ uploadMode: mode })) as TeraBoxDrive;
    });

    it('a folder DELETE during the PUT: the end state is PUT then DELETE, on the drive and on TeraBox', async () => {
      const dir = await s.caseDir();
      await drive.mkdir(`${dir}/race`);
      const data = bytes(300 * 1024, 3);
      const slow = slowBody(data);
      const put = drive.write(`${dir}/race/f.bin`, slow.stream, { size: data.length });
      await sleep(50);
      const del = drive.remove(`${dir}/race`);
      await sleep(50);
      slow.finish();
      const [putCode, delCode] = [await codeOf(put), await codeOf(del)];
      // Either order is consistent; what must never happen is the folder coming back with the file.
      expect([putCode, delCode]).to.deep.equal(['resolved', 'resolved']);
      await drive.idle();
      expect(await drive.stat(`${dir}/race`)).to.equal(null);
      expect(await drive.stat(`${dir}/race/f.bin`)).to.equal(null);
      expect(await remoteNames(s, dir)).to.deep.equal([]);
    });

    it('a folder MOVE during the PUT: the file ends in the moved folder, on the drive and on TeraBox', async () => {
      const dir = await s.caseDir();
      await drive.mkdir(`${dir}/mrace`);
      const data = bytes(300 * 1024, 4);
      const slow = slowBody(data);
      const put = drive.write(`${dir}/mrace/f.bin`, slow.stream, { size: data.length });
      await sleep(50);
      const move = drive.move(`${dir}/mrace`, `${dir}/mrace2`, { overwrite: false });
      await sleep(50);
      slow.finish();
      expect(await codeOf(put)).to.equal('resolved');
      expect(await codeOf(move)).to.equal('resolved');
      await drive.idle();
      expect(await drive.stat(`${dir}/mrace`)).to.equal(null);
      expect((await get(drive, `${dir}/mrace2/f.bin`)).equals(data)).to.equal(true);
      expect(await remoteNames(s, dir)).to.deep.equal(['mrace2']);
      expect(await remoteNames(s, `${dir}/mrace2`)).to.deep.equal(['f.bin']);
    });
  });
