// A download that TeraBox cuts off after the read was opened fails its stream with a DriveError
// (UPSTREAM), so the WebDAV layer reports a drive failure rather than an unexpected error.

import { expect } from 'chai';
import { buffer } from 'node:stream/consumers';
import type { Drive } from '../../src/drive/index.js';
import { isDriveError } from '../../src/drive/types.js';
import { get, put } from './harness.js';
import { bytes, startStack, type Stack } from '../support/index.js';

describe('TeraBoxDrive over the emulator: read stream failures', () => {
  let s: Stack;
  let drive: Drive;
  let dir: string;

  before(async () => {
    s = await startStack({ smallParts: true });
    drive = await s.freshDrive();
    dir = await s.caseDir();
  });
  after(async () => {
    await s.stop();
  });

  it('fails the stream with UPSTREAM when the data connection is reset mid-body, and reads again afterwards', async () => {
    const content = bytes(1_000_000, 7);
    await put(drive, `${dir}/cut.bin`, content);
    s.emu.setKnobs({ faults: { data: { reset: 1 } } });
    const { stream } = await drive.read(`${dir}/cut.bin`);
    const failure = await buffer(stream).then(
      () => null,
      (e: unknown) => e,
    );
    s.emu.setKnobs({ faults: {} });
    expect(isDriveError(failure, 'UPSTREAM'), String(failure)).to.equal(true);
    expect((await get(drive, `${dir}/cut.bin`)).equals(content)).to.equal(true);
  });
});
