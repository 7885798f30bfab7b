// SQL shared by the path-keyed tables in the state database: the overlay here, dead properties and
// locks in the WebDAV layer.

/**
 * SQL for "the column's path is `@root` or below it". Paths below `/a` sort between `/a/` and `/a0`
 * (`0` follows `/` in byte order, and UTF-8 multi-byte units sort above both), so a subtree is one
 * range scan on an index.
 */
export function subtreeClause(column: string): string {
  return `(@root = '/' OR ${column} = @root OR (${column} >= @root || '/' AND ${column} < @root || '0'))`;
}

/** The same range as bound values, for the paths strictly below `dir`: `[lo, hi)`. */
export function subtreeBounds(dir: string): [string, string] {
  return dir === '/' ? ['/', '0'] : [`${dir}/`, `${dir}0`];
}
