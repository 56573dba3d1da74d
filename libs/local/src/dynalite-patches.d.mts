// Types of dynalite-patches.mjs (plain JavaScript, loaded by the store's worker thread as it is).
export declare const STORE_MEMORY_BOUNDS: Readonly<{ cacheSize: number; writeBufferSize: number }>;
export declare const withStoreMemoryBounds: <T extends object>(
  options: T,
) => T & { cacheSize: number; writeBufferSize: number };
export declare const boundStoreMemory: () => boolean;
export declare const closeIteratorsOnStreamEnd: () => boolean;
export declare const applyDynalitePatches: () => void;
export declare const writeItemsWithTheirIndexes: () => boolean;
