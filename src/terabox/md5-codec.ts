// TeraBox's md5 obfuscation ("encrypted md5", protocol §3.3): create answers md5 in this form.

const HEX = /^[0-9a-f]{32}$/;

/** Swaps the 8-character groups: [1,0,3,2]. Its own inverse. */
function swapGroups(s: string): string {
  return s.slice(8, 16) + s.slice(0, 8) + s.slice(24, 32) + s.slice(16, 24);
}

/** True when the value is in obfuscated form (character 9 is a letter g–v). */
export function isObfuscatedMd5(value: string): boolean {
  return value.length === 32 && /^[0-9a-f]{9}[g-v][0-9a-f]{22}$/i.test(value);
}

/** Decodes an obfuscated md5 to plain hex; a value already in plain hex is returned unchanged. */
export function decodeMd5(value: string): string {
  const e = value.toLowerCase();
  if (HEX.test(e)) return e;
  if (!isObfuscatedMd5(e)) throw new Error(`not an md5 in either form: ${JSON.stringify(value)}`);
  const nine = (e.charCodeAt(9) - 'g'.charCodeAt(0)).toString(16);
  const fixed = e.slice(0, 9) + nine + e.slice(10);
  let n = '';
  for (let i = 0; i < 32; i++) n += (parseInt(fixed[i]!, 16) ^ (i & 15)).toString(16);
  return swapGroups(n);
}

/** Encodes a plain-hex md5 the way the server does. */
export function encodeMd5(md5: string): string {
  const m = md5.toLowerCase();
  if (!HEX.test(m)) throw new Error(`not a plain md5: ${JSON.stringify(md5)}`);
  const s = swapGroups(m);
  let out = '';
  for (let i = 0; i < 32; i++) {
    const v = parseInt(s[i]!, 16) ^ (i & 15);
    out += i === 9 ? String.fromCharCode('g'.charCodeAt(0) + v) : v.toString(16);
  }
  return out;
}
