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

export const applyDynalitePatches = () => {
  closeIteratorsOnStreamEnd();
  boundStoreMemory();
};
