// Indexing that fails the test with a message instead of handing on an `undefined`
// (the project compiles with noUncheckedIndexedAccess).

/** `list[index]`, failing the test when the list is too short. */
export function at<T>(list: readonly T[], index: number, what = 'list'): T {
  const item = list[index];
  if (item === undefined) throw new Error(`expected ${what} to have an element at ${index}, but it has ${list.length}`);
  return item;
}
