// A download TeraBox cuts off mid-body is resumed from the byte reached, so the reader gets every
// byte: a FUSE mount (davfs2) cannot retry a read and would report EIO for one reset connection.

import { expect } from 'chai';
import { buffer } from 'node:stream/consumers';
import type { Drive } from '../../src/drive/index.js';
import { isDriveError } from '../../src/drive/types.js';
import { DOWNLOAD_RESUMES } from '../../src/drive/read-stream.js';
import { get, put } from './harness.js';
import { bytes, startStack, type Stack } from '../support/index.js';

describe('TeraBoxDrive over the emulator: resumed downloads', () => {
  let s: Stack;
  let drive: Drive;
  let dir: string;
  const content = bytes(3_000_000, 11);

  before(async () => {
    s = await startStack({ smallParts: true });
    drive = await s.freshDrive();
    dir = await s.caseDir();
    await put(drive, `${dir}/flaky.bin`, content);
  });
  afterEach(() => {
    s.emu.setKnobs({ faults: {} });
  });
  after(async () => {
    await s.stop();
  });

  it('gives every byte of a whole-file read when TeraBox cuts the first two data connections halfway', async () => {
    // Seeded: the first two data requests are cut after half their body, the third is not.
    s.emu.setKnobs({ faultSeed: 7, faults: { data: { reset: 0.5 } } });
    const { result, calls } = await s.counting(['data'], () => get(drive, `${dir}/flaky.bin`));
    expect(calls.data).to.be.greaterThan(1);
    expect(result.equals(content)).to.equal(true);
  });

  it('resumes a ranged read from where it broke, not from the start of the range', async () => {
    s.emu.setKnobs({ faultSeed: 7, faults: { data: { reset: 0.5 } } });
    const range = { start: 1_000_001, end: 2_500_000 };
    const before = s.bytesOut('data');
    const { result, calls } = await s.counting(['data'], () => get(drive, `${dir}/flaky.bin`, range));
    expect(calls.data).to.be.greaterThan(1);
    expect(result.equals(content.subarray(range.start, range.end + 1))).to.equal(true);
    // Resumed, not restarted: TeraBox sent little more than the range itself.
    expect(s.bytesOut('data') - before).to.be.lessThan((range.end - range.start + 1) * 1.5);
  });

  it(`gives up with UPSTREAM after ${DOWNLOAD_RESUMES} breaks in one read`, async () => {
    s.emu.setKnobs({ faults: { data: { reset: 1 } } });
    const { result, calls } = await s.counting(['data'], async () => {
      const { stream } = await drive.read(`${dir}/flaky.bin`);
      return buffer(stream).then(
        () => null,
        (e: unknown) => e,
      );
    });
    expect(isDriveError(result, 'UPSTREAM'), String(result)).to.equal(true);
    expect(calls.data).to.equal(DOWNLOAD_RESUMES + 1);
  });
});
