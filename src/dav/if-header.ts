// The WebDAV `If:` header (RFC 4918 §10.4): grammar and evaluation. Pure: the caller supplies how
// to resolve resource tags, look up ETags and decide whether a lock token applies to a resource.

export interface IfCondition {
  not: boolean;
  kind: 'token' | 'etag';
  /** A state token without its angle brackets, or an entity tag as written (`"x"`, `W/"x"`). */
  value: string;
}

export interface IfList {
  /** The resource tag as written (without angle brackets), or null for a no-tag list. */
  tag: string | null;
  conditions: IfCondition[];
}

export class IfHeaderSyntaxError extends Error {
  constructor(message: string) {
    super(`Malformed If header: ${message}`);
    this.name = 'IfHeaderSyntaxError';
  }
}

/** Parses the header into its lists; mixing tagged and untagged lists is a syntax error, as in the RFC. */
export function parseIfHeader(header: string): IfList[] {
  const lists: IfList[] = [];
  let pos = 0;
  let tag: string | null = null;
  let sawTagged = false;
  let sawUntagged = false;
  // A declaration, not an arrow, so that TypeScript narrows after `if (…) fail(…)`.
  function fail(why: string): never {
    throw new IfHeaderSyntaxError(`${why} at offset ${pos}`);
  }
  const skipSpace = () => {
    while (pos < header.length && /\s/.test(header.charAt(pos))) pos++;
  };
  const readUntil = (close: string): string => {
    const end = header.indexOf(close, pos);
    if (end < 0) fail(`missing "${close}"`);
    const value = header.slice(pos, end);
    pos = end + 1;
    return value;
  };

  for (skipSpace(); pos < header.length; skipSpace()) {
    if (header[pos] === '<') {
      pos++;
      tag = readUntil('>').trim();
      if (tag === '' || /\s/.test(tag)) fail('bad resource tag');
      sawTagged = true;
      skipSpace();
      if (header[pos] !== '(') fail('a resource tag must be followed by a list');
      continue;
    }
    if (header[pos] !== '(') fail('expected "(" or "<"');
    if (tag === null) sawUntagged = true;
    pos++;
    const conditions: IfCondition[] = [];
    for (skipSpace(); header[pos] !== ')'; skipSpace()) {
      if (pos >= header.length) fail('unterminated list');
      let not = false;
      if (header.slice(pos, pos + 3).toLowerCase() === 'not') {
        not = true;
        pos += 3;
        skipSpace();
      }
      if (header[pos] === '<') {
        pos++;
        const token = readUntil('>');
        if (token === '' || /\s/.test(token)) fail('bad state token');
        conditions.push({ not, kind: 'token', value: token });
      } else if (header[pos] === '[') {
        pos++;
        const m = /^\s*((?:W\/)?"[^"]*")\s*\]/.exec(header.slice(pos));
        if (!m) fail('bad entity tag');
        pos += m[0].length;
        conditions.push({ not, kind: 'etag', value: m[1]! }); // the group is not optional
      } else {
        fail('expected a state token or an entity tag');
      }
    }
    pos++;
    if (conditions.length === 0) fail('empty list');
    lists.push({ tag, conditions });
  }
  if (lists.length === 0) fail('no lists');
  if (sawTagged && sawUntagged) fail('tagged and untagged lists mixed');
  return lists;
}

export interface IfEnvironment {
  /** The path a resource tag names, or null when it names nothing we serve. */
  resolveTag(tag: string): string | null;
  /** The current ETag of a path, or null when nothing is there. */
  etagOf(path: string): Promise<string | null>;
  /** True when `token` identifies a live lock that applies to `path`. */
  tokenApplies(token: string, path: string): boolean;
}

export interface IfOutcome {
  /** The header as a whole holds: at least one list is true (RFC 4918 §10.4.1). */
  ok: boolean;
  /** The lock tokens submitted by the client: the non-negated tokens of the lists that were true. */
  submitted: Set<string>;
}

/** Strong comparison (RFC 9110 §8.8.3.2): weak tags never match. */
function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && !b.startsWith('W/') && a === b;
}

/**
 * Evaluates every list against its resource (the tag's, or the request's for untagged lists). A
 * tagged list naming an ancestor holding a depth-infinity lock is how neon/davfs2 submit that lock's
 * token for a member, so tags are evaluated on their own resource rather than ignored.
 */
export async function evaluateIf(lists: IfList[], requestPath: string, env: IfEnvironment): Promise<IfOutcome> {
  const submitted = new Set<string>();
  const etags = new Map<string, Promise<string | null>>();
  const etagOf = (path: string) => {
    let e = etags.get(path);
    if (!e) {
      e = env.etagOf(path);
      etags.set(path, e);
    }
    return e;
  };
  let ok = false;
  for (const list of lists) {
    const path = list.tag === null ? requestPath : env.resolveTag(list.tag);
    let holds = path !== null;
    for (const c of list.conditions) {
      if (!holds || path === null) break;
      const matches =
        c.kind === 'token' ? env.tokenApplies(c.value, path) : await etagOf(path).then((e) => e !== null && strongMatch(e, c.value));
      holds = matches !== c.not;
    }
    if (!holds) continue;
    ok = true;
    for (const c of list.conditions) if (c.kind === 'token' && !c.not) submitted.add(c.value);
  }
  return { ok, submitted };
}
