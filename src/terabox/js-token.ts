// Reads the session tokens out of the web page's HTML (protocol §1.5, §1.6). Two page forms exist: the
// inline `eval(decodeURIComponent(`fn(a){window.jsToken = a};fn("…")`))` script, and a
// `var templateData = {…};` JSON whose jsToken field holds the same encoded call.

import { JS_TOKEN_PREFIX, JS_TOKEN_SUFFIX } from './wire.js';

export interface PageTokens {
  jsToken?: string;
  bdstoken?: string;
  uk?: number;
  /** templateData.userVipIdentity: > 0 means premium. */
  vipIdentity?: number;
}

const TEMPLATE_DATA = /var\s+templateData\s*=\s*(\{.*?\})\s*;\s*<\/script>/s;
const ENCODED_CALL = /%28%22(.*?)%22%29/;
const BDSTOKEN_TEXT = /bdstoken["']?\s*[:=]\s*["']([0-9a-zA-Z]+)["']/;
/** What a usable token looks like: no whitespace, quoting, markup or %-encoding left in it. */
const TOKEN_SHAPE = /^[^\s"'<>%`\\]+$/;

function between(text: string, prefix: string, suffix: string): string | undefined {
  const start = text.indexOf(prefix);
  if (start < 0) return undefined;
  const end = text.indexOf(suffix, start + prefix.length);
  return end < 0 ? undefined : text.slice(start + prefix.length, end);
}

function token(candidate: string | undefined): string | undefined {
  return candidate !== undefined && TOKEN_SHAPE.test(candidate) ? candidate : undefined;
}

function templateData(html: string): Record<string, unknown> | undefined {
  const m = TEMPLATE_DATA.exec(html);
  if (!m) return undefined;
  try {
    const data: unknown = JSON.parse(m[1]!);
    return data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function jsTokenFromTemplate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return token(ENCODED_CALL.exec(value)?.[1]) ?? token(value);
}

function finiteNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** Whatever tokens the page carries; an absent field means the page did not have it. */
export function extractPageTokens(html: string): PageTokens {
  const data = templateData(html);
  const jsToken = jsTokenFromTemplate(data?.jsToken) ?? token(between(html, JS_TOKEN_PREFIX, JS_TOKEN_SUFFIX));
  const bdstoken = token(typeof data?.bdstoken === 'string' ? data.bdstoken : BDSTOKEN_TEXT.exec(html)?.[1]);
  return {
    jsToken,
    bdstoken,
    uk: finiteNumber(data?.uk),
    vipIdentity: finiteNumber(data?.userVipIdentity),
  };
}
