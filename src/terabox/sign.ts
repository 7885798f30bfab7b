// The download sign (protocol §2.3): base64(RC4(key = sign3, data = sign1)), over string char codes.

export function downloadSign(sign3: string, sign1: string): string {
  const key = sign3;
  const s = new Array<number>(256);
  for (let i = 0; i < 256; i++) s[i] = i;
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + s[i]! + (key.charCodeAt(i % key.length) & 0xff)) % 256;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = Buffer.alloc(sign1.length);
  for (let q = 0, i = 0, j = 0; q < sign1.length; q++) {
    i = (i + 1) % 256;
    j = (j + s[i]!) % 256;
    [s[i], s[j]] = [s[j]!, s[i]!];
    out[q] = (sign1.charCodeAt(q) & 0xff) ^ s[(s[i]! + s[j]!) % 256]!;
  }
  return out.toString('base64');
}
