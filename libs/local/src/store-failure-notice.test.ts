import { describe, expect, it } from 'vitest';
import { storeFailureNotice } from './store-failure-notice';

describe('the notice npm start prints when the store can go on no longer', () => {
  it('says to free the disk when LevelDB could not write', () => {
    const notice = storeFailureNotice('LevelDB: IO error: /d/dynamodb/000004.log: No space left on device', '/d');
    expect(notice).toContain('What it accepted is kept in /d and delivered after a restart');
    expect(notice).toContain('free the disk (or mend it), then start Vigil again.');
  });

  it('says to raise the file descriptor limit, not to free the disk, when the process ran out of them', () => {
    const notice = storeFailureNotice('LevelDB: IO error: /d/dynamodb/000004.log: Too many open files', '/d');
    expect(notice).toContain('ran out of file descriptors: raise its limit (ulimit -n)');
    expect(notice).not.toContain('free the disk');
  });
});
