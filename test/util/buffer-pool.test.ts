import { expect } from 'chai';
import { BufferPool } from '../../src/util/buffer-pool.js';

describe('BufferPool', () => {
  it('hands out buffers of its size and reuses one given back', () => {
    const pool = new BufferPool(1024, 4);
    const a = pool.take();
    expect(a.length).to.equal(1024);
    expect(pool.give(a)).to.equal(true);
    expect(pool.idleCount).to.equal(1);
    expect(pool.take()).to.equal(a);
    expect(pool.idleCount).to.equal(0);
  });

  it('takes back a sub-range of a buffer it lent, as the whole buffer', () => {
    const pool = new BufferPool(1024, 4);
    const a = pool.take();
    expect(pool.give(a.subarray(0, 10))).to.equal(true);
    const again = pool.take();
    expect(again).to.equal(a);
    expect(again.length).to.equal(1024);
  });

  it('refuses buffers it did not lend, and a buffer given twice is reused once', () => {
    const pool = new BufferPool(1024, 4);
    expect(pool.give(Buffer.alloc(1024))).to.equal(false);
    expect(pool.give(Buffer.from('x'))).to.equal(false);
    const a = pool.take();
    expect(pool.give(a)).to.equal(true);
    expect(pool.give(a)).to.equal(false);
    expect(pool.idleCount).to.equal(1);
    const b = pool.take();
    const c = pool.take();
    expect(b).to.equal(a);
    expect(c).to.not.equal(a);
  });

  it('keeps at most maxIdle buffers for reuse', () => {
    const pool = new BufferPool(16, 2);
    const lent = [pool.take(), pool.take(), pool.take()];
    for (const b of lent) expect(pool.give(b)).to.equal(true);
    expect(pool.idleCount).to.equal(2);
  });

  it('lends buffers of memory of their own, never a slice of a shared pool', () => {
    const pool = new BufferPool(100, 2);
    const a = pool.take();
    expect(a.byteOffset).to.equal(0);
    expect(a.buffer.byteLength).to.equal(100);
  });
});
