// The XML vocabulary of the layer: a namespace-resolved element tree parsed from request bodies
// (fast-xml-parser does the tokenising; namespace scoping is done here), and the escaping and
// serialisation used to write responses and to store property values as self-contained fragments.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { DavError } from './status.js';

export const DAV_NS = 'DAV:';
const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

export interface XmlAttribute {
  ns: string;
  name: string;
  value: string;
}

export interface XmlElement {
  /** Namespace URI; `''` for no namespace. */
  ns: string;
  /** Local name. */
  name: string;
  attrs: XmlAttribute[];
  children: XmlNode[];
}

export type XmlNode = XmlElement | string;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  trimValues: false,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: true,
  // Needed for numeric character references (`&#65536;`); named HTML entities are a tolerated extra.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
});

type RawNode = Record<string, unknown>;

function badXml(why: string): DavError {
  return new DavError(400, `Malformed XML request body: ${why}`);
}

/** Parses a request body into its root element; anything not well-formed or namespace-valid is a 400. */
export function parseXml(body: Buffer): XmlElement {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body);
  } catch {
    throw badXml('not UTF-8');
  }
  // A DTD can define expanding entities; no WebDAV client sends one.
  if (/<!DOCTYPE/i.test(text)) throw badXml('DOCTYPE is not allowed');
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw badXml(valid.err.msg);
  let parsed: RawNode[];
  try {
    parsed = parser.parse(text) as RawNode[];
  } catch (e) {
    // The parser's own limits (e.g. nesting deeper than maxNestedTags) refuse a well-formed body.
    throw badXml((e as Error).message);
  }
  const roots = parsed.filter((n) => !('#text' in n));
  const [root] = roots;
  if (root === undefined || roots.length !== 1) throw badXml('expected exactly one root element');
  return resolve(root, new Map([['xml', XML_NS]]));
}

function resolve(raw: RawNode, outer: Map<string, string>): XmlElement {
  const qname = Object.keys(raw).find((k) => k !== ':@');
  if (qname === undefined) throw badXml('empty node');
  const rawAttrs = (raw[':@'] ?? {}) as Record<string, string>;
  const scope = new Map(outer);
  for (const [key, value] of Object.entries(rawAttrs)) {
    if (key === 'xmlns') {
      scope.set('', value);
    } else if (key.startsWith('xmlns:')) {
      const prefix = key.slice(6);
      // Namespaces in XML 1.0 §3: a prefix cannot be undeclared, and xml/xmlns cannot be rebound.
      if (value === '') throw badXml(`empty namespace for prefix "${prefix}"`);
      if (prefix === 'xmlns' || (prefix === 'xml') !== (value === XML_NS)) throw badXml(`reserved prefix "${prefix}"`);
      scope.set(prefix, value);
    }
  }
  const { ns, local } = splitQName(qname, scope, true);
  const attrs: XmlAttribute[] = [];
  for (const [key, value] of Object.entries(rawAttrs)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) continue;
    const a = splitQName(key, scope, false);
    attrs.push({ ns: a.ns, name: a.local, value });
  }
  const children: XmlNode[] = [];
  for (const child of (raw[qname] ?? []) as RawNode[]) {
    if ('#text' in child) children.push(String(child['#text']));
    else children.push(resolve(child, scope));
  }
  return { ns, name: local, attrs, children };
}

function splitQName(qname: string, scope: Map<string, string>, isElement: boolean): { ns: string; local: string } {
  const colon = qname.indexOf(':');
  if (colon < 0) return { ns: isElement ? (scope.get('') ?? '') : '', local: qname };
  const prefix = qname.slice(0, colon);
  const local = qname.slice(colon + 1);
  const ns = scope.get(prefix);
  if (ns === undefined) throw badXml(`undeclared namespace prefix "${prefix}"`);
  if (local === '' || local.includes(':')) throw badXml(`bad name "${qname}"`);
  return { ns, local };
}

export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter((c): c is XmlElement => typeof c !== 'string');
}

export function findChild(el: XmlElement, ns: string, name: string): XmlElement | undefined {
  return childElements(el).find((c) => c.ns === ns && c.name === name);
}

export function isElement(el: XmlElement | undefined, ns: string, name: string): el is XmlElement {
  return el !== undefined && el.ns === ns && el.name === name;
}

/** Characters XML 1.0 cannot carry at all (file names may hold them); they become U+FFFD. */
const NOT_XML_CHAR =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeText(s: string): string {
  return s.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\r/g, '&#13;').replace(/\n/g, '&#10;').replace(/\t/g, '&#9;');
}

/**
 * Serialises nodes (a property value, a lock owner) so the string stands alone: every element
 * declares its namespace as the default namespace wherever it differs from its parent's, and
 * namespaced attributes get local prefixes. The result can be embedded under any prefix mapping.
 */
export function serializeFragment(nodes: XmlNode[], parentDefault: string | null = null): string {
  let out = '';
  for (const node of nodes) {
    if (typeof node === 'string') {
      out += escapeText(node);
      continue;
    }
    let decl = node.ns !== parentDefault ? ` xmlns="${escapeAttr(node.ns)}"` : '';
    let attrs = '';
    node.attrs.forEach((a, i) => {
      if (a.ns === '') {
        attrs += ` ${a.name}="${escapeAttr(a.value)}"`;
      } else if (a.ns === XML_NS) {
        attrs += ` xml:${a.name}="${escapeAttr(a.value)}"`;
      } else if (a.ns !== XMLNS_NS) {
        decl += ` xmlns:a${i}="${escapeAttr(a.ns)}"`;
        attrs += ` a${i}:${a.name}="${escapeAttr(a.value)}"`;
      }
    });
    const inner = serializeFragment(node.children, node.ns);
    out += inner === '' ? `<${node.name}${decl}${attrs}/>` : `<${node.name}${decl}${attrs}>${inner}</${node.name}>`;
  }
  return out;
}

/** `<P:name xmlns:P="ns">inner</P:name>` for a property in any namespace, `D:` for DAV:. */
export function propertyElement(ns: string, name: string, inner: string): string {
  if (ns === DAV_NS) return inner === '' ? `<D:${name}/>` : `<D:${name}>${inner}</D:${name}>`;
  const open = ns === '' ? `${name} xmlns=""` : `P:${name} xmlns:P="${escapeAttr(ns)}"`;
  const close = ns === '' ? name : `P:${name}`;
  return inner === '' ? `<${open}/>` : `<${open}>${inner}</${close}>`;
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n';

/** A `DAV:error` body naming one condition (RFC 4918 §16), with hrefs when the condition carries some. */
export function davErrorBody(condition: string, hrefs: string[] = []): string {
  const inner = hrefs.map((h) => `<D:href>${escapeText(h)}</D:href>`).join('');
  return `${XML_DECLARATION}<D:error xmlns:D="DAV:">${propertyElement(DAV_NS, condition, inner)}</D:error>`;
}
