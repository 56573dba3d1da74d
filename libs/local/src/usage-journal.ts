/**
 * Durable metering for the local stack. Its SQS emulator (fauxqs) keeps queues in memory, so a
 * kill -9 would lose every usage event sent and not yet folded. Instead, the local stack's
 * UsageMeter appends each event as one JSON line to a journal in the data dir, with a synchronous
 * write: once `record` returns, the line is the kernel's, and survives the process being killed
 * (the delivery worker meters an attempt before its record write, so a recorded attempt is always
 * in the journal). A folder feeds the journal to the usage ledger, remembering how far it got in
 * a small file that it replaces after each fold succeeds; at start-up it folds whatever the last
 * run left. Folding an event twice is harmless: the ledger counts each event id once.
 *
 * Not fsync'ed: the journal survives the process, not a power cut of the machine. On AWS the
 * metering queue is SQS, durable already; this adapter is only chosen by the local stack.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger, UsageEvent, UsageMeter } from '@vigil/core';
import { UsageEventSchema } from '@vigil/core';

/** The journal's file in the data dir: one usage event per line, appended. */
export const USAGE_JOURNAL_FILE = 'usage-journal.ndjson';
/** How many bytes of the journal are folded (a decimal number), replaced after each fold. */
export const USAGE_JOURNAL_OFFSET_FILE = 'usage-journal.offset';
/** A journal folded to its end and at least this long is emptied (after its offset is reset). */
export const JOURNAL_COMPACT_BYTES = 1024 * 1024;
/** The most the folder reads per step. */
const READ_BYTES = 1024 * 1024;
/** Events per ledger fold. */
const FOLD_EVENTS = 500;

const NEWLINE = 0x0a;

export const journalPaths = (dataDir: string) => ({
  journal: join(dataDir, USAGE_JOURNAL_FILE),
  offset: join(dataDir, USAGE_JOURNAL_OFFSET_FILE),
});

/** UsageMeter on the journal: each call is one synchronous append of one line per event. */
export class JournalUsageMeter implements UsageMeter {
  private readonly fd: number;
  /** Told how many events each call journaled (the local stack tells its folder). */
  onJournaled: (count: number) => void = () => {};

  constructor(
    path: string,
    private readonly log: () => Logger,
  ) {
    this.fd = openSync(path, 'a+');
    // A kill in the middle of a write can leave a torn last line: end it, so that the next event
    // starts a line of its own (the folder skips the torn one).
    const { size } = fstatSync(this.fd);
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.fd, last, 0, 1, size - 1);
      if (last[0] !== NEWLINE) writeSync(this.fd, '\n');
    }
  }

  async record(events: readonly UsageEvent[]): Promise<void> {
    if (events.length === 0) return;
    try {
      writeSync(this.fd, events.map((event) => `${JSON.stringify(event)}\n`).join(''));
      this.onJournaled(events.length);
    } catch (error) {
      // Metering must never fail the request or the delivery it describes.
      this.log().error('usage events not journaled', { ids: events.map((e) => e.id), error: String(error) });
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

export interface UsageJournalFolder {
  /** Folds what the journal holds now (also what the periodic pass does); resolves with the events folded. */
  foldNow(): Promise<number>;
  /** Says that `count` more events were journaled: a full batch is folded without waiting for the timer. */
  journaled(count: number): void;
  /** Stops the periodic pass after one last fold of what is left. */
  stop(): Promise<void>;
}

export interface UsageJournalFolderOptions {
  dataDir: string;
  /** Counts the events (the ledger's fold); throws to have them folded again on the next pass. */
  fold: (events: UsageEvent[]) => Promise<unknown>;
  log: Logger;
  /** How often the journal is folded (the deployed event source's batching window)... */
  everyMs: number;
  /** ...or as soon as this many events were journaled since the last fold (its batch size; default 100). */
  batchEvents?: number;
  /** A journal folded to its end and at least this long is emptied (default JOURNAL_COMPACT_BYTES). */
  compactBytes?: number;
}

/**
 * Folds the journal now (what an earlier run left), then every `everyMs`. Resolves once the
 * first fold is done, or has failed (it is then tried again on the next pass).
 */
export const startUsageJournalFolder = async (options: UsageJournalFolderOptions): Promise<UsageJournalFolder> => {
  const { dataDir, fold, log, everyMs, batchEvents = 100, compactBytes = JOURNAL_COMPACT_BYTES } = options;
  const paths = journalPaths(dataDir);

  const readOffset = (): number => {
    if (!existsSync(paths.offset)) return 0;
    const offset = Number(readFileSync(paths.offset, 'utf8').trim());
    return Number.isSafeInteger(offset) && offset >= 0 ? offset : 0;
  };
  const writeOffset = (offset: number) => {
    // Replaced, never rewritten in place: a kill leaves the old offset or the new one.
    writeFileSync(`${paths.offset}.tmp`, `${offset}\n`);
    renameSync(`${paths.offset}.tmp`, paths.offset);
  };
  const sizeOf = () => (existsSync(paths.journal) ? statSync(paths.journal).size : 0);

  /** Reads the complete lines from `offset`: their events and the offset just past them. */
  const readLines = (offset: number, size: number): { events: UsageEvent[]; next: number } => {
    const buffer = Buffer.alloc(Math.min(READ_BYTES, size - offset));
    const fd = openSync(paths.journal, 'r');
    let read: number;
    try {
      read = readSync(fd, buffer, 0, buffer.length, offset);
    } finally {
      closeSync(fd);
    }
    const end = buffer.subarray(0, read).lastIndexOf(NEWLINE) + 1;
    if (end === 0) {
      // No line end yet: a write in progress, or one line longer than a read (never a usage event).
      if (read < READ_BYTES) return { events: [], next: offset };
      log.error('usage journal: an over-long line skipped', { offset });
      return { events: [], next: offset + read };
    }
    const events: UsageEvent[] = [];
    let at = offset;
    for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
      const lineAt = at;
      at += Buffer.byteLength(line) + 1;
      if (line.trim() === '') continue;
      let parsed: ReturnType<typeof UsageEventSchema.safeParse> | undefined;
      try {
        parsed = UsageEventSchema.safeParse(JSON.parse(line));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) events.push(parsed.data);
      else log.error('usage journal: a malformed line skipped', { offset: lineAt });
    }
    return { events, next: offset + end };
  };

  let folded = 0;
  let unfolded = 0;
  const pass = async (): Promise<number> => {
    unfolded = 0;
    let offset = readOffset();
    let count = 0;
    for (;;) {
      const size = sizeOf();
      // The journal was emptied after the offset was last written, or removed by hand.
      if (offset > size) offset = 0;
      if (offset === size) break;
      const { events, next } = readLines(offset, size);
      if (next === offset) break;
      for (let i = 0; i < events.length; i += FOLD_EVENTS) await fold(events.slice(i, i + FOLD_EVENTS));
      offset = next;
      writeOffset(offset);
      count += events.length;
    }
    // Synchronously from here: no append can come between the size read and the truncation.
    const size = sizeOf();
    if (offset === size && size > 0 && size >= compactBytes) {
      // Offset first: a kill between the two re-folds the old journal, which counts nothing twice.
      writeOffset(0);
      truncateSync(paths.journal, 0);
    }
    folded += count;
    return count;
  };

  let running: Promise<number> = Promise.resolve(0);
  /** One pass at a time: a pass asked for while one runs follows it. */
  const foldNow = (): Promise<number> => {
    running = running.then(pass).catch((error: unknown) => {
      log.error('usage journal: fold failed; it will be tried again', { error: String(error) });
      return 0;
    });
    return running;
  };

  await foldNow();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    timer = setTimeout(() => {
      void foldNow().then(() => {
        if (!stopped) schedule();
      });
    }, everyMs);
  };
  schedule();

  return {
    foldNow,
    journaled(count) {
      unfolded += count;
      if (unfolded >= batchEvents && !stopped) {
        unfolded = 0;
        void foldNow();
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await foldNow();
      if (folded > 0) log.info('usage journal folded', { events: folded });
    },
  };
};
