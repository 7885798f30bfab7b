import { expect } from 'chai';
import { parseRange } from '../../src/dav/range.js';

describe('Range header', () => {
  const cases: [string | undefined, number, ReturnType<typeof parseRange>][] = [
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', ranges: [{ start: 0, end: 9 }] }],
    ['bytes=90-', 100, { kind: 'partial', ranges: [{ start: 90, end: 99 }] }],
    ['bytes=-10', 100, { kind: 'partial', ranges: [{ start: 90, end: 99 }] }],
    ['bytes=-500', 100, { kind: 'partial', ranges: [{ start: 0, end: 99 }] }],
    ['bytes=50-5000', 100, { kind: 'partial', ranges: [{ start: 50, end: 99 }] }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=200-300', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    [
      'bytes=0-0,-1',
      100,
      {
        kind: 'partial',
        ranges: [
          { start: 0, end: 0 },
          { start: 99, end: 99 },
        ],
      },
    ],
    [
      'bytes=10-20, 0-5, 15-30, 31-40',
      100,
      {
        kind: 'partial',
        ranges: [
          { start: 0, end: 5 },
          { start: 10, end: 40 },
        ],
      },
    ],
    ['bytes=9-5', 100, { kind: 'full' }],
    ['items=0-5', 100, { kind: 'full' }],
    ['bytes=abc', 100, { kind: 'full' }],
    ['bytes=-', 100, { kind: 'full' }],
    ['bytes=' + Array.from({ length: 40 }, (_, i) => `${i * 2}-${i * 2}`).join(','), 100, { kind: 'full' }],
  ];
  for (const [header, size, expected] of cases) {
    it(`reads ${JSON.stringify(header)} against ${size} bytes as ${expected.kind}`, () => {
      expect(parseRange(header, size)).to.deep.equal(expected);
    });
  }
});
