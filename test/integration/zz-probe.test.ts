import { DriveStack, randomBody } from './stack.js';

describe('probe3', () => {
  let s: DriveStack;
  before(async () => { s = await DriveStack.start({ configure: (c) => (c.log.level = 'debug') }); });
  after(async () => { await s.close(); });
  it('newline name', async () => {
    s.emulator.resetStats();
    const put = await s.request('PUT', `/${encodeURIComponent('new\nline.txt')}`, { body: 'n' });
    console.log(put.status, put.text);
    console.log(JSON.stringify(s.emulator.stats().endpoints));
    console.log(JSON.stringify(s.logLines, null, 1).slice(0, 3000));
    const mk = await s.request('MKCOL', `/${encodeURIComponent('new\nline')}`);
    console.log(mk.status, mk.text);
  });
  it('data reset', async () => {
    const big = randomBody(2_000_000);
    await s.request('PUT', '/big.bin', { body: big });
    s.emulator.setKnobs({ faults: { data: { reset: 1 } } });
    const r = await s.request('GET', '/big.bin').then((x) => `status ${x.status} len ${x.body.length}`, (e) => `error ${e.message}`);
    console.log(JSON.stringify(s.errorLines, null, 1).slice(0, 3000));
  });
});
