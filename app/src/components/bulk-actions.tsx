'use client';

import { AlertDialog, Button, Callout, Checkbox, Dialog, Flex, Progress, Text, TextField } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import type { ReactNode } from 'react';
import { createContext, useContext, useEffect, useState, useTransition } from 'react';
import { readBulkJob, startBulkJob } from '@/lib/actions';
import { useDisplayZone } from '@/lib/display-zone';
import { browserTimeZone, count, wallTimeIn } from '@/lib/format';
import type { BulkJob } from '@/lib/types';
import { ErrorCallout } from './notices';

/**
 * Acting on many messages at once from the Messages list: pick rows (or the whole page) and cancel
 * or redeliver them, or redeliver every message failed since a time. Each runs as a bulk job on the
 * server (POST /v1/messages/cancel or /redeliver); its progress shows here until it ends.
 */

type Action = 'cancel' | 'redeliver';

interface Selection {
  /** The ids on this page, in order. */
  pageIds: readonly string[];
  selected: ReadonlySet<string>;
  toggle(id: string, on: boolean): void;
  setAll(on: boolean): void;
  clear(): void;
  job: BulkJob | undefined;
  follow(job: BulkJob): void;
}

const SelectionContext = createContext<Selection | undefined>(undefined);

const useSelection = (): Selection => {
  const selection = useContext(SelectionContext);
  if (!selection) throw new Error('inside a BulkSelection only');
  return selection;
};

/** Holds which rows of the page are selected, and the job last started from here. */
export function BulkSelection({ pageIds, children }: { pageIds: readonly string[]; children: ReactNode }) {
  const [picked, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [job, setJob] = useState<BulkJob | undefined>();
  // Another page (or the page refreshed with other rows): what is no longer shown is no longer selected.
  const selected = new Set(pageIds.filter((id) => picked.has(id)));
  const value: Selection = {
    pageIds,
    selected,
    toggle: (id, on) =>
      setSelected((was) => {
        const next = new Set(was);
        if (on) next.add(id);
        else next.delete(id);
        return next;
      }),
    setAll: (on) => setSelected(new Set(on ? pageIds : [])),
    clear: () => setSelected(new Set()),
    job,
    follow: setJob,
  };
  return <SelectionContext.Provider value={value}>{children}</SelectionContext.Provider>;
}

/** "Select page": every message on this page (or none); half-checked while some are. */
function SelectPageBox() {
  const { pageIds, selected, setAll } = useSelection();
  const all = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const some = !all && pageIds.some((id) => selected.has(id));
  return (
    <Text as="label" size="2">
      <Flex gap="2" align="center">
        <Checkbox
          disabled={pageIds.length === 0}
          checked={all ? true : some ? 'indeterminate' : false}
          onCheckedChange={(checked) => setAll(checked === true)}
        />
        Select page
      </Flex>
    </Text>
  );
}

/** A row's box; `label` names the message for screen readers. */
export function SelectRowBox({ id, label }: { id: string; label: string }) {
  const { selected, toggle } = useSelection();
  return (
    <Checkbox
      aria-label={`Select ${label}`}
      checked={selected.has(id)}
      onCheckedChange={(checked) => toggle(id, checked === true)}
    />
  );
}

const plural = (n: number) => `${count(n)} message${n === 1 ? '' : 's'}`;

/** A new Idempotency-Key per confirmation: a double submit starts one job. */
const newKey = () => `console-bulk-${crypto.randomUUID()}`;

/** The bar above the list: what is selected, the bulk buttons, "redeliver failed since", and the job's progress. */
export function BulkToolbar() {
  const { selected, clear, job, follow } = useSelection();
  const ids = [...selected];
  const started = (next: BulkJob) => {
    clear();
    follow(next);
  };
  return (
    <Flex direction="column" gap="3">
      <Flex gap="3" align="center" wrap="wrap" role="group" aria-label="Bulk actions">
        <SelectPageBox />
        <Text size="2" color="gray" aria-live="polite" data-testid="selected-count">
          {ids.length === 0 ? 'Select messages to act on several at once.' : `${plural(ids.length)} selected`}
        </Text>
        {ids.length > 0 && (
          <>
            <BulkConfirm action="cancel" ids={ids} onStarted={started} />
            <BulkConfirm action="redeliver" ids={ids} onStarted={started} />
          </>
        )}
        <RedeliverFailedSince onStarted={started} />
      </Flex>
      {job && <JobProgress key={job.id} initial={job} />}
    </Flex>
  );
}

const ACTION_TEXT: Record<Action, { button: string; verb: string; applies: string }> = {
  cancel: {
    button: 'Cancel',
    verb: 'Cancel',
    applies:
      'Only scheduled, queued or retrying messages are cancelled; the others are skipped. This cannot be undone.',
  },
  redeliver: {
    button: 'Redeliver',
    verb: 'Redeliver',
    applies:
      'Only delivered or failed messages are sent again, now; the others are skipped. Each redelivery counts towards your monthly quota.',
  },
};

function BulkConfirm({ action, ids, onStarted }: { action: Action; ids: string[]; onStarted: (job: BulkJob) => void }) {
  const text = ACTION_TEXT[action];
  const [open, setOpen] = useState(false);
  const [key, setKey] = useState(newKey);
  const [error, setError] = useState<string | undefined>();
  const [pending, startTransition] = useTransition();
  return (
    <AlertDialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setError(undefined);
        if (next) setKey(newKey());
      }}
    >
      <AlertDialog.Trigger>
        <Button variant="soft">
          {text.button} {count(ids.length)}…
        </Button>
      </AlertDialog.Trigger>
      <AlertDialog.Content maxWidth="460px">
        <AlertDialog.Title>
          {text.verb} {plural(ids.length)}?
        </AlertDialog.Title>
        <AlertDialog.Description size="2">{text.applies}</AlertDialog.Description>
        <ErrorCallout error={error} mt="3" />
        <Flex gap="3" mt="4" justify="end">
          <AlertDialog.Cancel>
            <Button variant="soft" color="gray">
              Keep them
            </Button>
          </AlertDialog.Cancel>
          <Button
            loading={pending}
            onClick={() =>
              startTransition(async () => {
                const result = await startBulkJob(action, { ids }, key);
                if (!result.ok) {
                  setError(result.error);
                  return;
                }
                setOpen(false);
                onStarted(result.data);
              })
            }
          >
            {text.verb} {plural(ids.length)}
          </Button>
        </Flex>
      </AlertDialog.Content>
    </AlertDialog.Root>
  );
}

/**
 * "Redeliver all failed since …": a date and time in the zone the console shows times in (named),
 * never in the future; then every message failed since then is redelivered by one job.
 */
function RedeliverFailedSince({ onStarted }: { onStarted: (job: BulkJob) => void }) {
  const displayZone = useDisplayZone();
  const [open, setOpen] = useState(false);
  const [zone, setZone] = useState('UTC');
  const [value, setValue] = useState('');
  const [key, setKey] = useState(newKey);
  const [error, setError] = useState<string | undefined>();
  const [pending, startTransition] = useTransition();
  const latest = open ? wallTimeIn(new Date().toISOString(), zone).slice(0, 19) : undefined;
  return (
    <Dialog.Root
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        setError(undefined);
        if (next) {
          const shownIn = displayZone ?? browserTimeZone();
          setZone(shownIn);
          // A day ago, to the second: a starting point to change.
          setValue(wallTimeIn(new Date(Date.now() - 86_400_000).toISOString(), shownIn).slice(0, 19));
          setKey(newKey());
        }
      }}
    >
      <Dialog.Trigger>
        <Button variant="soft" color="gray">
          Redeliver failed since…
        </Button>
      </Dialog.Trigger>
      <Dialog.Content maxWidth="460px">
        <Dialog.Title>Redeliver every failed message since…</Dialog.Title>
        <form
          noValidate
          onSubmit={(event) => {
            event.preventDefault();
            // The console shows times in UTC or in the browser's zone: a wall time in either is read here.
            const instant = value ? new Date(zone === 'UTC' ? `${value}Z` : value) : undefined;
            if (!instant || Number.isNaN(instant.getTime())) {
              setError('Pick a date and time.');
              return;
            }
            if (instant.getTime() > Date.now()) {
              setError(
                `That time is in the future: pick one before now (${(latest ?? '').replace('T', ' ')} ${zone}).`,
              );
              return;
            }
            startTransition(async () => {
              const filter = { status: ['failed' as const], updatedSince: instant.toISOString() };
              const result = await startBulkJob('redeliver', { filter }, key);
              if (!result.ok) {
                setError(result.error);
                return;
              }
              setOpen(false);
              onStarted(result.data);
            });
          }}
        >
          <Flex direction="column" gap="3">
            <Dialog.Description size="2" color="gray">
              Every message that failed at or after this time is sent again, now. Each redelivery counts towards your
              monthly quota; running it again later skips what this one redelivered.
            </Dialog.Description>
            <label htmlFor="failed-since">
              <Text size="2" weight="medium">
                Failed since ({zone})
              </Text>
            </label>
            <TextField.Root
              id="failed-since"
              type="datetime-local"
              step="1"
              value={value}
              max={latest}
              onChange={(event) => setValue(event.target.value)}
              required
            />
            <ErrorCallout error={error} />
            <Flex gap="3" justify="end">
              <Dialog.Close>
                <Button variant="soft" color="gray" type="button">
                  Close
                </Button>
              </Dialog.Close>
              <Button type="submit" loading={pending}>
                Redeliver failed messages
              </Button>
            </Flex>
          </Flex>
        </form>
      </Dialog.Content>
    </Dialog.Root>
  );
}

const POLL_MS = 1_000;

/** A job's progress, read every second until it ends; then the list is refreshed once. */
function JobProgress({ initial }: { initial: BulkJob }) {
  const router = useRouter();
  const [job, setJob] = useState(initial);
  const [error, setError] = useState<string | undefined>();
  const running = job.state === 'running';
  useEffect(() => {
    if (!running) {
      router.refresh();
      return;
    }
    const timer = setTimeout(async () => {
      const result = await readBulkJob(job.id);
      if (result.ok) setJob(result.data);
      else setError(result.error);
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job, running, router]);
  const { done, skipped, failed } = job.counts;
  const reached = done + skipped + failed;
  const verb = job.action === 'cancel' ? 'cancelled' : 'redelivered';
  const title =
    job.state === 'running'
      ? `${job.action === 'cancel' ? 'Cancelling' : 'Redelivering'}…`
      : job.state === 'done'
        ? 'Done'
        : 'Stopped';
  return (
    <Callout.Root
      // High contrast: the tinted callouts' text falls short of 4.5:1 (axe).
      highContrast
      color={job.state === 'failed' ? 'red' : job.state === 'done' ? 'green' : 'blue'}
      data-testid="bulk-job"
    >
      <Flex direction="column" gap="2">
        <Flex direction="column" gap="1" role="status" aria-live="polite">
          <Text size="2" weight="medium">
            {title} {count(reached)}
            {job.total !== null && ` of ${count(job.total)}`} reached: {count(done)} {verb}, {count(skipped)} skipped
            {failed > 0 && `, ${count(failed)} failed`}.
          </Text>
          {job.stopReason && <Text size="2">{job.stopReason.detail}</Text>}
        </Flex>
        {job.total !== null && job.total > 0 && (
          <Progress
            value={Math.round((reached / job.total) * 100)}
            aria-label={`Bulk job progress: ${count(reached)} of ${count(job.total)}`}
          />
        )}
        <ErrorCallout error={error} />
      </Flex>
    </Callout.Root>
  );
}
