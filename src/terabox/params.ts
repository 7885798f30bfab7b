// Query and form-body encoding. TeraBox decodes `+` as a literal plus in some fields, so spaces must
// go as `%20` (AList fix e1ef6907: names like `1+1` or `a b` broke filemanager); URLSearchParams
// would write `+`, hence encodeURIComponent throughout.

export type ParamValue = string | number | boolean | undefined;
export type Params = Readonly<Record<string, ParamValue>>;

/** `k=v&k2=v2`, percent-encoded with `%20` for spaces and `%2B` for plus; undefined values are left out. */
export function encodeParams(params: Params): string {
  const out: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    out.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return out.join('&');
}

/** Splits a list into consecutive batches of at most `size` items (filemanager takes 100 at a time). */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
