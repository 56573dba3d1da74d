/**
 * Limits on how many of a thing a tenant may have (API keys, notification endpoints) held against
 * creates sent at once: each may find room before any of them is stored, so each looks again once
 * its own is stored, and one past the limit in creation order (ties by id) undoes itself. Every
 * creator sees the same order, so no more than the limit stay.
 */
export const pastLimitInCreationOrder = (
  items: ReadonlyArray<{ id: string; createdAt: number }>,
  id: string,
  limit: number,
): boolean => inCreationOrder(items).findIndex((item) => item.id === id) >= limit;

/** `items` in the order every creator sees: by `createdAt`, ties by id. */
export const inCreationOrder = <Item extends { id: string; createdAt: number }>(items: readonly Item[]): Item[] =>
  [...items].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
