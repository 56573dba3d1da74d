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
 * A fold that fails is tried again on the next pass, as SQS hands a failed batch back; and as SQS
 * parks a record in the dead-letter queue after maxReceiveCount receives, events whose fold failed
 * that many passes in a row are folded one by one, and those that still fail are set aside in a
 * dead-letter file in the data dir, so that one event the ledger cannot count never stops the
 * counting of everything journaled after it. The set-aside events are folded again at start-up and
 * every REDRIVE_EVERY_MS (the fault may have been passing); those counted leave the file.
 *
 * Not fsync'ed: the journal survives the process, not a power cut of the machine. On AWS the
 * metering queue is SQS, durable already; this adapter is only chosen by the local stack.
 */
import {
  appendFileSync,
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { METERING_QUEUE_SETTINGS } from '@vigil/aws/queue-settings';
import type { Logger, UsageEvent, UsageMeter } from '@vigil/core';
import { UsageEventSchema } from '@vigil/core';
import { replaceFileSync } from './replace-file';

/** The journal's file in the data dir: one usage event per line, appended. */
export const USAGE_JOURNAL_FILE = 'usage-journal.ndjson';
/** How many bytes of the journal are folded (a decimal number), replaced after each fold. */
export const USAGE_JOURNAL_OFFSET_FILE = 'usage-journal.offset';
/** Events whose fold failed MAX_FOLD_PASSES passes in a row and then alone: one per line, not counted yet. */
export const USAGE_JOURNAL_DEAD_LETTER_FILE = 'usage-journal.dead-letter.ndjson';
/** Passes in a row a fold may fail before its events are folded one by one (the metering queue's maxReceiveCount). */
export const MAX_FOLD_PASSES = METERING_QUEUE_SETTINGS.maxReceiveCount;
/** Events folded alone that must all fail before the fault is taken for the ledger's, not theirs. */
const OUTAGE_PROBE = 10;
/** How often the set-aside events are folded again (also once at start-up). */
export const REDRIVE_EVERY_MS = 10 * 60_000;
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
  deadLetter: join(dataDir, USAGE_JOURNAL_DEAD_LETTER_FILE),
});

const eventLines = (events: readonly UsageEvent[]) => events.map((event) => `${JSON.stringify(event)}\n`).join('');

/** Events kept in memory while the journal cannot be written (a full disk): at most this many (about 20 MB). */
export const MAX_UNJOURNALED_EVENTS = 100_000;
/** How often events kept in memory are appended again while nothing else is metered. */
export const REJOURNAL_EVERY_MS = 1_000;

/** Appends all of `text`, however many writes it takes (a write may take part of it). */
const appendAll = (fd: number, text: string): void => {
  const bytes = Buffer.from(text);
  for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
};

/**
 * UsageMeter on the journal: each call is one synchronous append of one line per event. Events the
 * journal does not take (a full or failing disk) are kept in memory, in order, and appended again
 * with the next call or within REJOURNAL_EVERY_MS, so a disk that fills up for a while loses no
 * count; an event may then be journaled twice, which the ledger counts once.
 */
export class JournalUsageMeter implements UsageMeter {
  private readonly fd: number;
  /** Told how many events each call journaled (the local stack tells its folder). */
  onJournaled: (count: number) => void = () => {};
  private unjournaled: UsageEvent[] = [];
  /** A write failed part-way: the journal may end in part of a line. */
  private torn = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    path: string,
    private readonly log: () => Logger,
    /** How text reaches the journal (a test makes it fail as a full disk does). */
    private readonly append: (fd: number, text: string) => void = appendAll,
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
    this.unjournaled.push(...events);
    // Metering must never fail the request or the delivery it describes.
    this.journalKept();
  }

  /** Events kept in memory, not journaled yet. */
  get waiting(): number {
    return this.unjournaled.length;
  }

  private journalKept(): void {
    const events = this.unjournaled;
    if (events.length === 0) return;
    try {
      // After a failed write, a line of its own for the first event (the folder skips empty and torn lines).
      this.append(this.fd, `${this.torn ? '\n' : ''}${eventLines(events)}`);
    } catch (error) {
      this.keepForLater(error);
      return;
    }
    if (this.torn) this.log().warn('usage events journaled again', { events: events.length });
    this.torn = false;
    this.unjournaled = [];
    clearTimeout(this.retry);
    this.retry = undefined;
    this.onJournaled(events.length);
  }

  private keepForLater(error: unknown): void {
    if (!this.torn) {
      this.log().error('usage events not journaled: kept in memory and tried again', { error: String(error) });
    }
    this.torn = true;
    const over = this.unjournaled.length - MAX_UNJOURNALED_EVENTS;
    if (over > 0) {
      const lost = this.unjournaled.splice(0, over);
      this.log().error('usage events lost: the journal has taken none for too long', {
        events: lost.length,
        ids: lost.slice(0, 10).map((e) => e.id),
      });
    }
    this.retry ??= setTimeout(() => {
      this.retry = undefined;
      this.journalKept();
    }, REJOURNAL_EVERY_MS).unref();
  }

  close(): void {
    clearTimeout(this.retry);
    this.retry = undefined;
    this.journalKept();
    clearTimeout(this.retry);
    if (this.unjournaled.length > 0) {
      this.log().error('usage events lost: the journal took none before the stop', {
        events: this.unjournaled.length,
        ids: this.unjournaled.slice(0, 10).map((e) => e.id),
      });
    }
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
  /** How often the set-aside events are folded again (default REDRIVE_EVERY_MS). */
  redriveEveryMs?: number;
}

/**
 * Folds the journal now (what an earlier run left), then every `everyMs`. Resolves once the
 * first fold is done, or has failed (it is then tried again on the next pass).
 */
export const startUsageJournalFolder = async (options: UsageJournalFolderOptions): Promise<UsageJournalFolder> => {
  const {
    dataDir,
    fold,
    log,
    everyMs,
    batchEvents = 100,
    compactBytes = JOURNAL_COMPACT_BYTES,
    redriveEveryMs = REDRIVE_EVERY_MS,
  } = options;
  const paths = journalPaths(dataDir);

  const readOffset = (): number => {
    if (!existsSync(paths.offset)) return 0;
    const offset = Number(readFileSync(paths.offset, 'utf8').trim());
    return Number.isSafeInteger(offset) && offset >= 0 ? offset : 0;
  };
  // Replaced whole, never rewritten in place: a kill leaves the old text or the new.
  const writeOffset = (offset: number) => replaceFileSync(paths.offset, `${offset}\n`);
  const sizeOf = () => (existsSync(paths.journal) ? statSync(paths.journal).size : 0);

  /**
   * The events of complete lines read from `offset` (a malformed line is logged and skipped), and
   * where each event's line ends.
   */
  const parseLines = (text: string, offset: number): { events: UsageEvent[]; ends: number[] } => {
    const events: UsageEvent[] = [];
    const ends: number[] = [];
    let at = offset;
    for (const line of text.split('\n')) {
      const lineAt = at;
      at += Buffer.byteLength(line) + 1;
      if (line.trim() === '') continue;
      let parsed: ReturnType<typeof UsageEventSchema.safeParse> | undefined;
      try {
        parsed = UsageEventSchema.safeParse(JSON.parse(line));
      } catch {
        parsed = undefined;
      }
      if (parsed?.success) {
        events.push(parsed.data);
        ends.push(at);
      } else log.error('usage journal: a malformed line skipped', { offset: lineAt });
    }
    return { events, ends };
  };

  /** Reads the complete lines from `offset`: their events, where each one's line ends, and the offset just past them. */
  const readLines = (offset: number, size: number): { events: UsageEvent[]; ends: number[]; next: number } => {
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
      if (read < READ_BYTES) return { events: [], ends: [], next: offset };
      log.error('usage journal: an over-long line skipped', { offset });
      return { events: [], ends: [], next: offset + read };
    }
    return { ...parseLines(buffer.subarray(0, end).toString('utf8'), offset), next: offset + end };
  };

  /**
   * Folds each event alone; resolves with those that failed and the last failure. With `probe`,
   * throws as soon as the first OUTAGE_PROBE events have all failed: the fault is then the
   * ledger's (the store down), not the events', and they stay where they are.
   */
  const foldEach = async (events: readonly UsageEvent[], probe: boolean) => {
    const failed: UsageEvent[] = [];
    let error: unknown;
    for (const [index, event] of events.entries()) {
      try {
        await fold([event]);
      } catch (caught) {
        failed.push(event);
        error = caught;
        if (probe && failed.length === index + 1 && failed.length >= OUTAGE_PROBE) throw caught;
      }
    }
    return { failed, error };
  };

  /** The fold that failed last (by its first event) and in how many passes in a row. */
  let failing: { id: string; passes: number } | undefined;
  /**
   * Folds `events`. A failure throws (the pass stops, and the events are folded again on the next)
   * until the same events have failed MAX_FOLD_PASSES passes in a row; then each is folded alone,
   * and those that fail alone too are set aside in the dead-letter file. While the first of them
   * all fail alone (the ledger is down, not the events wrong), nothing is set aside for another
   * MAX_FOLD_PASSES passes; after that, whatever fails is set aside, so a pass is never stuck.
   * Resolves with how many were set aside.
   */
  const foldBounded = async (events: UsageEvent[]): Promise<number> => {
    let passes: number;
    try {
      await fold(events);
      failing = undefined;
      return 0;
    } catch (error) {
      passes = failing?.id === events[0]!.id ? failing.passes + 1 : 1;
      failing = { id: events[0]!.id, passes };
      if (passes < MAX_FOLD_PASSES) throw error;
    }
    const { failed, error } = await foldEach(events, passes < 2 * MAX_FOLD_PASSES);
    failing = undefined;
    if (failed.length === 0) return 0;
    appendFileSync(paths.deadLetter, eventLines(failed));
    log.error(`usage journal: events set aside after ${passes} failed folds; not counted until folded again`, {
      ids: failed.map((event) => event.id),
      file: paths.deadLetter,
      error: String(error),
    });
    return failed.length;
  };

  /** Folds the set-aside events again (in batches; a batch that fails, one by one); those counted leave the file. */
  const redrive = async () => {
    if (!existsSync(paths.deadLetter)) return;
    const { events } = parseLines(readFileSync(paths.deadLetter, 'utf8'), 0);
    const failed: UsageEvent[] = [];
    let error: unknown;
    for (let i = 0; i < events.length; i += FOLD_EVENTS) {
      const batch = events.slice(i, i + FOLD_EVENTS);
      try {
        await fold(batch);
      } catch {
        const each = await foldEach(batch, true);
        failed.push(...each.failed);
        error = each.error;
      }
    }
    if (failed.length === 0) rmSync(paths.deadLetter);
    else replaceFileSync(paths.deadLetter, eventLines(failed));
    if (events.length > failed.length) {
      log.info('usage journal: set-aside events counted', { events: events.length - failed.length });
    }
    if (failed.length > 0) {
      log.error('usage journal: set-aside events still not counted', {
        events: failed.length,
        file: paths.deadLetter,
        error: String(error),
      });
    }
  };
  let redrivenAt = -Infinity;

  let folded = 0;
  let unfolded = 0;
  const pass = async (): Promise<number> => {
    unfolded = 0;
    if (Date.now() - redrivenAt >= redriveEveryMs) {
      redrivenAt = Date.now();
      // A redrive that fails (the ledger down) leaves the file as it was, and the journal is folded anyway.
      await redrive().catch((error: unknown) => {
        log.error('usage journal: set-aside events not folded again; tried again later', { error: String(error) });
      });
    }
    let offset = readOffset();
    let count = 0;
    for (;;) {
      const size = sizeOf();
      // The journal was emptied after the offset was last written, or removed by hand.
      if (offset > size) offset = 0;
      if (offset === size) break;
      const { events, ends, next } = readLines(offset, size);
      if (next === offset) break;
      // The offset moves past each fold done: a fold set aside is never folded again from the journal.
      for (let i = 0; i < events.length; i += FOLD_EVENTS) {
        const batch = events.slice(i, i + FOLD_EVENTS);
        count += batch.length - (await foldBounded(batch));
        writeOffset(ends[i + batch.length - 1]!);
      }
      offset = next;
      // Past lines that held no event (malformed), when the last fold did not end there already.
      if (ends[ends.length - 1] !== next) writeOffset(offset);
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
