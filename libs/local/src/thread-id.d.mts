// Types of thread-id.mjs (plain JavaScript, loaded as it is by the worker threads).
export declare const currentThreadId: () => number | undefined;
