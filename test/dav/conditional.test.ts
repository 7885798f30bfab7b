import { expect } from 'chai';
import type { Entry } from '../../src/drive/types.js';
import { evaluatePreconditions, ifRangeAllows } from '../../src/dav/conditional.js';

const mtime = new Date('2024-05-01T10:00:00Z');
const entry: Entry = { path: '/f', name: 'f', isDir: false, size: 3, mtime, ctime: mtime, etag: '"abc"' };
const before = 'Wed, 01 May 2024 09:00:00 GMT';
const same = mtime.toUTCString();
const after = 'Wed, 01 May 2024 11:00:00 GMT';

describe('conditional request headers', () => {
  const cases: [Record<string, string>, string, Entry | null, ReturnType<typeof evaluatePreconditions>][] = [
    [{}, 'GET', entry, 'proceed'],
    [{ 'if-match': '"abc"' }, 'PUT', entry, 'proceed'],
    [{ 'if-match': '"x", "abc"' }, 'PUT', entry, 'proceed'],
    [{ 'if-match': '"zzz"' }, 'PUT', entry, 412],
    [{ 'if-match': 'W/"abc"' }, 'PUT', entry, 412],
    [{ 'if-match': '*' }, 'PUT', entry, 'proceed'],
    [{ 'if-match': '*' }, 'PUT', null, 412],
    [{ 'if-none-match': '*' }, 'PUT', null, 'proceed'],
    [{ 'if-none-match': '*' }, 'PUT', entry, 412],
    [{ 'if-none-match': '"abc"' }, 'GET', entry, 304],
    [{ 'if-none-match': 'W/"abc"' }, 'HEAD', entry, 304],
    [{ 'if-none-match': '"abc"' }, 'DELETE', entry, 412],
    [{ 'if-none-match': '"other"' }, 'GET', entry, 'proceed'],
    [{ 'if-modified-since': same }, 'GET', entry, 304],
    [{ 'if-modified-since': after }, 'GET', entry, 304],
    [{ 'if-modified-since': before }, 'GET', entry, 'proceed'],
    [{ 'if-modified-since': same }, 'PUT', entry, 'proceed'],
    [{ 'if-modified-since': 'not a date' }, 'GET', entry, 'proceed'],
    // If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.1.3).
    [{ 'if-none-match': '"other"', 'if-modified-since': after }, 'GET', entry, 'proceed'],
    [{ 'if-unmodified-since': before }, 'PUT', entry, 412],
    [{ 'if-unmodified-since': same }, 'PUT', entry, 'proceed'],
    // If-Match takes precedence over If-Unmodified-Since.
    [{ 'if-match': '"abc"', 'if-unmodified-since': before }, 'PUT', entry, 'proceed'],
  ];
  for (const [headers, method, target, expected] of cases) {
    it(`${method} with ${JSON.stringify(headers)} on ${target ? 'an existing' : 'a missing'} resource → ${expected}`, () => {
      expect(evaluatePreconditions(headers, method, target)).to.equal(expected);
    });
  }

  it('honours If-Range only while the strong ETag or the exact date still match', () => {
    expect(ifRangeAllows({}, entry)).to.equal(true);
    expect(ifRangeAllows({ 'if-range': '"abc"' }, entry)).to.equal(true);
    expect(ifRangeAllows({ 'if-range': '"old"' }, entry)).to.equal(false);
    expect(ifRangeAllows({ 'if-range': 'W/"abc"' }, entry)).to.equal(false);
    expect(ifRangeAllows({ 'if-range': same }, entry)).to.equal(true);
    expect(ifRangeAllows({ 'if-range': before }, entry)).to.equal(false);
  });
});
