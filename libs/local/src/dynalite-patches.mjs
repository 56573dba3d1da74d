// Runtime fixes for dynalite 4.0.0, applied by dynalite-worker.mjs before dynalite starts. Plain
// JavaScript, like the worker that loads it. (One fix cannot be made from outside, as it lies in a
// function private to dynalite/db/index.js: binary values compared as UTF-8 text in `contains` and
// `begins_with`. It is patches/dynalite+4.0.0.patch, applied by patch-package on `npm install`, and
// holds wherever dynalite runs, the tests' in-process instances too.)
//
// The leak: dynalite turns LevelDB iterators into streams (createKeyStream/createValueStream in
// dynalite/db/index.js) and, when a stream ends or is destroyed, closes its iterator only
// `if (iterator.return)`. abstract-level 3 (under level 10) names that method `close()`; there is
// no `return()`. So every Query and Scan, whether it read to the end or stopped at its Limit, left
// its iterator open for the life of the process. An open LevelDB iterator pins the version of the
// table files it started on: the store's memory grew with every query, and every table file that
// compaction made obsolete stayed on disk (a soak run: 763 .ldb files, 1.4 GB, for 37 live tables,
// and 2.3 GB RSS after 17 minutes).
//
// The fix gives abstract-level's iterators the `return()` dynalite looks for, as a call to
// `close()`, which is safe at any time: abstract-level waits for a read in flight before closing,
// and a second close is a no-op. If abstract-level or dynalite ever grows a `return()` of its own,
// this leaves it alone.
import { createRequire } from 'node:module';

// Resolve abstract-level the way dynalite reaches it (dynalite -> level -> classic-level ->
// abstract-level), so the patched prototype is the one its iterators are made from.
const requireFrom = (from, id) => createRequire(from).resolve(id);
const dynalitePath = requireFrom(import.meta.url, 'dynalite');
const levelPath = requireFrom(dynalitePath, 'level');
const classicLevelPath = requireFrom(levelPath, 'classic-level');
const abstractLevel = createRequire(classicLevelPath)('abstract-level');
const { ClassicLevel } = createRequire(levelPath)('classic-level');

/** The base class shared by abstract-level's entry, key and value iterators. */
const commonIterator = Object.getPrototypeOf(abstractLevel.AbstractIterator.prototype);

export const closeIteratorsOnStreamEnd = () => {
  if (typeof commonIterator.return === 'function') return false;
  Object.defineProperty(commonIterator, 'return', {
    configurable: true,
    writable: true,
    value: function () {
      return this.close().then(() => ({ done: true, value: undefined }));
    },
  });
  return true;
};

/**
 * LevelDB's memory for the local store, in place of classic-level's defaults (an 8 MiB block cache
 * and a 4 MiB write buffer, of which LevelDB holds two while one is flushed): a 2 MiB block cache
 * and a 1 MiB write buffer, so that what LevelDB keeps in memory is capped at about 4 MiB. Its table
 * files are read through the OS page cache (mapped), so the block cache only saves a copy; the
 * soak (`npm run soak`) showed the defaults as native memory growing with the store for its first
 * half hour. Options dynalite (or anyone) passes explicitly are left alone.
 */
export const STORE_MEMORY_BOUNDS = Object.freeze({ cacheSize: 2 << 20, writeBufferSize: 1 << 20 });

/** The options LevelDB is opened with: the caller's, over the store's memory bounds. */
export const withStoreMemoryBounds = (options) => ({ ...STORE_MEMORY_BOUNDS, ...options });

export const boundStoreMemory = () => {
  const open = ClassicLevel.prototype._open;
  if (open.boundsStoreMemory) return false;
  const bounded = function (options) {
    return open.call(this, withStoreMemoryBounds(options));
  };
  bounded.boundsStoreMemory = true;
  ClassicLevel.prototype._open = bounded;
  return true;
};

/**
 * An item and its index entries written as one LevelDB batch. dynalite 4.0.0 writes an item's
 * index entries and then the item, as separate LevelDB writes (`updateIndexes`, then the item's
 * put or del, in putItem, updateItem and deleteItem): a kill -9 in between left the item as it was
 * with its index entries deleted (a message listed nowhere, found by no sweep) or with the new
 * write's entries beside it (a listing showing a write that never landed). LevelDB applies a batch
 * whole or not at all, so the item and its index entries now change together.
 *
 * All of dynalite's sub-databases are one LevelDB under key prefixes (`item-<table>~`,
 * `index-<global|local>~<table>~<index>~`, from its getSubDb). The patched `updateIndexes` works out
 * the index writes as dynalite would (its own `getIndexActions`) and keeps them for the item's key;
 * the item's own put or del, which follows it under the item's lock, takes them into its batch.
 */
const dynaliteDb = createRequire(dynalitePath)('./db/index.js');

export const writeItemsWithTheirIndexes = () => {
  const original = dynaliteDb.updateIndexes;
  if (original.withTheItem) return false;
  /** Per item sub-database: the index writes waiting for the item's own write, by item key. */
  const waiting = new WeakMap();
  const itemPrefix = (tableName) => `item-${tableName}~`;
  const indexPrefix = (type, tableName, index) => `index-${type.toLowerCase()}~${tableName}~${index}~`;

  /** Makes an item sub-database's put and del take the index writes waiting for their key. */
  const takeWaitingWrites = (itemDb, mainDb, tableName) => {
    if (waiting.has(itemDb)) return waiting.get(itemDb);
    const byKey = new Map();
    waiting.set(itemDb, byKey);
    const write = (op) =>
      function (key, ...rest) {
        const indexWrites = byKey.get(key);
        if (indexWrites === undefined) return op.original.call(itemDb, key, ...rest);
        byKey.delete(key);
        const callback = rest.at(-1);
        const itemWrite =
          op.type === 'put'
            ? { type: 'put', key: itemPrefix(tableName) + key, value: rest[0] }
            : { type: 'del', key: itemPrefix(tableName) + key };
        return mainDb.batch([...indexWrites, itemWrite], callback);
      };
    const put = { type: 'put', original: itemDb.put };
    const del = { type: 'del', original: itemDb.del };
    itemDb.put = write(put);
    itemDb.del = write(del);
    return byKey;
  };

  const updateIndexes = function (store, table, existingItem, item, cb) {
    if (!existingItem && !item) return cb();
    const writes = [];
    for (const type of ['Local', 'Global']) {
      const indexes = table[`${type}SecondaryIndexes`] || [];
      const { puts, deletes } = dynaliteDb.getIndexActions(indexes, existingItem, item, table);
      for (const d of deletes) writes.push({ type: 'del', key: indexPrefix(type, table.TableName, d.index) + d.key });
      for (const p of puts)
        writes.push({ type: 'put', key: indexPrefix(type, table.TableName, p.index) + p.key, value: p.item });
    }
    const byKey = takeWaitingWrites(store.getItemDb(table.TableName), store.db, table.TableName);
    byKey.set(dynaliteDb.createKey(item || existingItem, table), writes);
    cb();
  };
  updateIndexes.withTheItem = true;
  dynaliteDb.updateIndexes = updateIndexes;
  return true;
};

export const applyDynalitePatches = () => {
  closeIteratorsOnStreamEnd();
  boundStoreMemory();
  writeItemsWithTheirIndexes();
};
