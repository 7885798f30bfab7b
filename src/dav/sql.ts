// SQL shared by the path-keyed tables of the layer (dead properties, locks).

/**
 * SQL for "the column's path is `@root` or below it". Paths below `/a` sort between `/a/` and `/a0`
 * (`0` follows `/` in byte order, and UTF-8 multi-byte units sort above both), so a subtree is one
 * range scan on an index.
 */
export function subtreeClause(column: string): string {
  return `(@root = '/' OR ${column} = @root OR (${column} >= @root || '/' AND ${column} < @root || '0'))`;
}
