// Names TeraBox refuses (errno -7), on every endpoint that takes a path to write: precreate, create,
// mkdir (create isdir=1), rapidupload, and filemanager rename/move/copy targets (the new name and the
// destination folder). docs/terabox-protocol.md, Names: Baidu's rule and rclone's TeraBox encoder.

import { expect } from 'chai';
import { rawClient, type Raw } from './helpers.js';
import { bytes, md5, startStack, type Stack } from '../support/index.js';

/** Names refused by default, each with why. */
const REFUSED: [string, string][] = [
  ['trailing dot', 'dot.'],
  ['trailing dots', 'dots..'],
  ['trailing space', 'space '],
  ['control character', 'ctl\x01x'],
  ['tab', 'tab\tx'],
  ['DEL', 'del\x7fx'],
  ['listed character', 'a:b'],
  ['256 ASCII bytes', 'n'.repeat(256)],
  ['256 UTF-8 bytes', 'é'.repeat(128)],
];

/** Names TeraBox takes, among them the look-alikes the drive maps refused names to. */
const ACCEPTED: [string, string][] = [
  ['255 bytes', 'n'.repeat(255)],
  ['a full-width full stop at the end', 'dot．'],
  ['a space symbol at the end', 'space␠'],
  ['a space in the middle', 'a b'],
  ['a dot in the middle', 'a.b'],
  ['a control picture', 'ctl␁x'],
  ['a leading space (knob off)', ' lead'],
  ['a leading dot (knob off)', '.hidden'],
];

/** An absolute path of exactly `n` characters, in folders of at most 100. */
function pathOf(n: number, fill = 'p'): string {
  let path = '';
  while (n - path.length > 101) path += '/' + fill.repeat(100);
  return path + '/' + fill.repeat(n - path.length - 1);
}

describe('emulator: names TeraBox refuses (-7)', () => {
  let h: Stack;
  let raw: Raw;
  const data = bytes(100, 1);
  const list = [md5(data)];

  before(async () => {
    h = await startStack({ upTo: 'emulator', smallParts: true });
    raw = await rawClient(h.emu);
    expect((await raw.upload('/src.txt', data)).json.errno).to.equal(0);
    expect((await raw.mkdir('/dir')).json.errno).to.equal(0);
  });
  after(async () => {
    await h.stop();
  });
  afterEach(() => {
    h.emu.setKnobs({ refuseLeadingSpace: false, refuseLeadingDot: false });
  });

  function rapid(path: string): Promise<{ json: any }> {
    return raw.post('/api/rapidupload', {}, { path, 'content-md5': md5(data), 'content-length': data.length, rtype: 1 });
  }

  /** Every path-taking write, each expected to answer `errno` for `name` under /dir (and nothing stored). */
  async function everyEndpoint(name: string, errno: number): Promise<void> {
    const path = `/dir/${name}`;
    const what = JSON.stringify(name);
    expect((await raw.precreate(path, data.length, list)).json.errno, `precreate ${what}`).to.equal(errno);
    const pre = await raw.precreate('/ok.bin', data.length, list);
    expect(pre.json.errno).to.equal(0);
    expect((await raw.create(path, data.length, list, pre.json.uploadid)).json.errno, `create ${what}`).to.equal(errno);
    expect((await rapid(path)).json.errno, `rapidupload ${what}`).to.equal(errno);
    expect((await raw.mkdir(path)).json.errno, `mkdir ${what}`).to.equal(errno);
    expect((await raw.mkdir(`${path}/under`)).json.errno, `mkdir under ${what}`).to.equal(errno);
    for (const opera of ['rename', 'move', 'copy']) {
      const item = opera === 'rename' ? { path: '/src.txt', newname: name } : { path: '/src.txt', dest: '/dir', newname: name };
      const r = await raw.filemanager(opera, [item]);
      expect(r.json.info?.[0]?.errno, `${opera} to the name ${what}`).to.equal(errno);
      if (opera === 'rename') continue;
      const into = await raw.filemanager(opera, [{ path: '/src.txt', dest: path, newname: 'x.txt' }]);
      expect(into.json.info?.[0]?.errno, `${opera} into a folder ${what}`).to.equal(errno);
    }
    if (errno !== 0) {
      expect(h.emu.entry(path), `nothing stored at ${what}`).to.equal(null);
      expect(h.emu.entry('/src.txt')?.size, 'the source stays').to.equal(data.length);
    }
  }

  for (const [why, name] of REFUSED) {
    it(`refuses a name with a ${why} on every endpoint`, async () => {
      await everyEndpoint(name, -7);
    });
  }

  it('takes every name the drive maps to (and a 255-byte one)', async () => {
    for (const [why, name] of ACCEPTED) {
      const path = `/ok/${name}`;
      expect((await raw.upload(path, data)).json.errno, why).to.equal(0);
      expect(h.emu.entry(path)?.size, why).to.equal(data.length);
      expect((await raw.mkdir(`/ok/dirs/${name}`)).json.errno, `mkdir ${why}`).to.equal(0);
      const r = await raw.filemanager('copy', [{ path: '/src.txt', dest: '/ok/copies', newname: name }]);
      expect(r.json.errno, `copy ${why}`).to.equal(0);
    }
  });

  it('knob refuseLeadingSpace refuses a leading space on every endpoint', async () => {
    h.emu.setKnobs({ refuseLeadingSpace: true });
    await everyEndpoint(' lead', -7);
    expect((await raw.upload('/dir/.still-fine', data)).json.errno, 'a leading dot is another knob').to.equal(0);
  });

  it('knob refuseLeadingDot refuses a leading dot on every endpoint', async () => {
    h.emu.setKnobs({ refuseLeadingDot: true });
    await everyEndpoint('.dotfile', -7);
    expect((await raw.upload('/dir/ still-fine', data)).json.errno, 'a leading space is another knob').to.equal(0);
  });

  it('refuses a path over 1000 characters, the target of a move or copy included', async () => {
    const at1000 = pathOf(1000);
    expect(at1000.length).to.equal(1000);
    expect((await raw.upload(at1000, data)).json.errno, '1000 characters').to.equal(0);
    const over = pathOf(1001, 'q');
    expect((await raw.precreate(over, data.length, list)).json.errno, 'precreate').to.equal(-7);
    expect((await rapid(over)).json.errno, 'rapidupload').to.equal(-7);
    expect((await raw.mkdir(over)).json.errno, 'mkdir').to.equal(-7);
    // Characters, not bytes: 1000 two-byte characters are fine.
    expect((await raw.mkdir(pathOf(1000, 'é'))).json.errno, '1000 non-ASCII characters').to.equal(0);

    const deep = pathOf(990, 'r');
    expect((await raw.mkdir(deep)).json.errno).to.equal(0);
    for (const opera of ['move', 'copy']) {
      const r = await raw.filemanager(opera, [{ path: '/src.txt', dest: deep, newname: 'twenty-characters.tx' }]);
      expect(r.json.info[0].errno, `${opera} past 1000`).to.equal(-7);
    }
    const rename = await raw.filemanager('rename', [{ path: at1000, newname: 'x'.repeat(250) }]);
    expect(rename.json.info[0].errno, 'rename past 1000').to.equal(-7);
    expect(h.emu.entry(at1000)?.size).to.equal(data.length);
    expect((await raw.filemanager('copy', [{ path: '/src.txt', dest: deep, newname: 'nine.char' }])).json.errno, 'copy to 1000').to.equal(
      0,
    );
  });

  it('keeps the invalidNameChars knob: its characters are refused, others taken', async () => {
    h.emu.setKnobs({ invalidNameChars: '#' });
    try {
      await everyEndpoint('a#b', -7);
      expect((await raw.upload('/dir/a:b', data)).json.errno, '":" is no longer listed').to.equal(0);
    } finally {
      h.emu.setKnobs({ invalidNameChars: '\\:*?"<>|' });
    }
  });
});
