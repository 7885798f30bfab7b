import { expect } from 'chai';
import { IfHeaderSyntaxError, evaluateIf, parseIfHeader, type IfEnvironment, type IfList } from '../../src/dav/if-header.js';

const T1 = 'urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2';
const T2 = 'urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092';

describe('If header grammar (RFC 4918 §10.4 examples)', () => {
  const cases: [string, IfList[]][] = [
    [
      `(<${T1}> ["I am an ETag"]) (["I am another ETag"])`,
      [
        {
          tag: null,
          conditions: [
            { not: false, kind: 'token', value: T1 },
            { not: false, kind: 'etag', value: '"I am an ETag"' },
          ],
        },
        { tag: null, conditions: [{ not: false, kind: 'etag', value: '"I am another ETag"' }] },
      ],
    ],
    [
      `(Not <${T1}> <${T2}>)`,
      [
        {
          tag: null,
          conditions: [
            { not: true, kind: 'token', value: T1 },
            { not: false, kind: 'token', value: T2 },
          ],
        },
      ],
    ],
    [
      `(<${T1}>) (Not <DAV:no-lock>)`,
      [
        { tag: null, conditions: [{ not: false, kind: 'token', value: T1 }] },
        { tag: null, conditions: [{ not: true, kind: 'token', value: 'DAV:no-lock' }] },
      ],
    ],
    [
      `</resource1> (<${T1}> [W/"A weak ETag"]) (["strong ETag"])`,
      [
        {
          tag: '/resource1',
          conditions: [
            { not: false, kind: 'token', value: T1 },
            { not: false, kind: 'etag', value: 'W/"A weak ETag"' },
          ],
        },
        { tag: '/resource1', conditions: [{ not: false, kind: 'etag', value: '"strong ETag"' }] },
      ],
    ],
    [
      `<http://www.example.com/specs/> (<${T1}>)`,
      [{ tag: 'http://www.example.com/specs/', conditions: [{ not: false, kind: 'token', value: T1 }] }],
    ],
    [`</specs/rfc2518.doc> (["4217"])`, [{ tag: '/specs/rfc2518.doc', conditions: [{ not: false, kind: 'etag', value: '"4217"' }] }]],
    [`</specs/rfc2518.doc> (Not ["4217"])`, [{ tag: '/specs/rfc2518.doc', conditions: [{ not: true, kind: 'etag', value: '"4217"' }] }]],
    [
      '</a> (<t:a>) </b> (<t:b>)',
      [
        { tag: '/a', conditions: [{ not: false, kind: 'token', value: 't:a' }] },
        { tag: '/b', conditions: [{ not: false, kind: 'token', value: 't:b' }] },
      ],
    ],
    [
      '  (  not<t:x>[ "e" ]  )  ',
      [
        {
          tag: null,
          conditions: [
            { not: true, kind: 'token', value: 't:x' },
            { not: false, kind: 'etag', value: '"e"' },
          ],
        },
      ],
    ],
  ];
  for (const [header, expected] of cases) {
    it(`parses ${header}`, () => {
      expect(parseIfHeader(header)).to.deep.equal(expected);
    });
  }

  for (const bad of [
    '',
    '(',
    '()',
    '<http://x/>',
    '(<a>) </b> (<c>)',
    '(["unterminated)',
    'garbage',
    '(Not)',
    '(<a b>)',
    '(<a>',
    '</x> garbage',
  ]) {
    it(`refuses ${JSON.stringify(bad)} with a syntax error`, () => {
      expect(() => parseIfHeader(bad)).to.throw(IfHeaderSyntaxError);
    });
  }
});

describe('If header evaluation', () => {
  // /locked holds lock T1 (depth infinity, so it covers /locked/child); ETags per path.
  const etags: Record<string, string> = { '/locked': '"e1"', '/locked/child': '"e3"', '/other': '"e2"' };
  const env: IfEnvironment = {
    resolveTag: (tag) => (tag.startsWith('http://host') ? tag.slice('http://host'.length) || '/' : tag.startsWith('/') ? tag : null),
    etagOf: async (p) => etags[p] ?? null,
    tokenApplies: (token, p) => token === T1 && (p === '/locked' || p.startsWith('/locked/')),
  };
  const cases: [string, string, boolean, string[]][] = [
    // header, request path, holds, submitted tokens
    [`(<${T1}>)`, '/locked', true, [T1]],
    [`(<${T1}>)`, '/other', false, []],
    [`(<${T1}> ["e1"])`, '/locked', true, [T1]],
    [`(<${T1}> ["nope"])`, '/locked', false, []],
    ['(<DAV:no-lock>)', '/other', false, []],
    ['(Not <DAV:no-lock>)', '/other', true, []],
    [`(<${T1}x>) (Not <DAV:no-lock>)`, '/locked', true, []],
    [`(<${T1}>) (Not <DAV:no-lock>)`, '/locked', true, [T1]],
    [`(<DAV:no-lock> ["e1"])`, '/locked', false, []],
    [`(<${T1}> ["e1"]) (Not <DAV:no-lock> ["e1"])`, '/locked', true, [T1]],
    [`(<${T1}> ["e0"]) (Not <DAV:no-lock> ["e0"])`, '/locked', false, []],
    ['(["e2"])', '/other', true, []],
    ['(Not ["e2"])', '/other', false, []],
    ['([W/"e2"])', '/other', false, []],
    ['(["e2"])', '/missing', false, []],
    ['(Not ["e2"])', '/missing', true, []],
    // neon/davfs2 submit the lock of an ancestor collection with a tag naming that collection.
    [`<http://host/locked> (<${T1}>)`, '/locked/child', true, [T1]],
    [`</locked/child> (<${T1}> ["e3"])`, '/elsewhere', true, [T1]],
    [`<mailto:x> (<${T1}>)`, '/locked', false, []],
    [`(Not <${T1}>)`, '/locked', false, []],
  ];
  for (const [header, path, holds, submitted] of cases) {
    it(`${holds ? 'holds' : 'fails'} for ${header} on ${path}`, async () => {
      const outcome = await evaluateIf(parseIfHeader(header), path, env);
      expect(outcome.ok).to.equal(holds);
      expect([...outcome.submitted]).to.deep.equal(submitted);
    });
  }

  it('looks up each ETag once however many lists name it', async () => {
    let lookups = 0;
    const counting: IfEnvironment = {
      ...env,
      etagOf: async (p) => {
        lookups++;
        return etags[p] ?? null;
      },
    };
    await evaluateIf(parseIfHeader('(["x"]) (["y"]) (["e2"])'), '/other', counting);
    expect(lookups).to.equal(1);
  });
});
