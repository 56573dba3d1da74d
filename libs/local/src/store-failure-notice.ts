/**
 * What `npm start` prints when the store can go on no longer (dynalite's LevelDB refused a write or
 * found its files damaged): the reason, that what was accepted is kept, and what to do before a
 * restart, by the reason: a process out of file descriptors is not a full disk.
 */
export const storeFailureNotice = (reason: string, dataDir: string): string => {
  const outOfFiles = /too many open files/i.test(reason);
  return [
    '',
    `Vigil's local store can go on no longer: ${reason}`,
    `  What it accepted is kept in ${dataDir} and delivered after a restart:`,
    outOfFiles
      ? '  the process ran out of file descriptors: raise its limit (ulimit -n) or open fewer connections at once, then start Vigil again.'
      : '  free the disk (or mend it), then start Vigil again.',
    '',
  ].join('\n');
};
