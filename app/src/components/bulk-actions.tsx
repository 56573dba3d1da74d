'use client';

import { Button, Callout, Checkbox, Flex, Progress, Text } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import type { ReactNode } from 'react';
import { createContext, useContext, useEffect, useState } from 'react';
import { readBulkJob, startBulkJob } from '@/lib/actions';
import { useDisplayZone } from '@/lib/display-zone';
import { followJob } from '@/lib/follow-job';
import { browserTimeZone, count, instantOfWallTime, quotaRenewal, wallTimeNow } from '@/lib/format';
import { QUOTA_USED_UP } from '@/lib/problem-words';
import type { ActionFailure, BulkJob } from '@/lib/types';
import { useIdempotencyKey } from '@/lib/use-idempotency-key';
import { ConfirmButton } from './confirm-button';
import { DateTimeField } from './date-time-field';
import { FormDialog } from './form-dialog';
import { ErrorCallout } from './notices';
import { RenewsAt } from './timestamp';

/**
 * Acting on many messages at once from the Messages list: pick rows (or the whole page) and cancel
 * or redeliver them, or redeliver every message failed since a time. Each runs as a bulk job on the
 * server (POST /v1/messages/cancel or /redeliver); its progress shows here until it ends.
 */

type Action = 'cancel' | 'redeliver';

interface Selection {
  /** The ids on this page, in order. */
  pageIds: readonly string[];
  /** Those of them that rows of Vigil's own deliveries stand for, several to a row. */
  foldedIds: ReadonlySet<string>;
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
export function BulkSelection({
  pageIds,
  foldedIds = [],
  children,
}: {
  pageIds: readonly string[];
  foldedIds?: readonly string[];
  children: ReactNode;
}) {
  const [picked, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [job, setJob] = useState<BulkJob | undefined>();
  // Another page (or the page refreshed with other rows): what is no longer shown is no longer selected.
  const selected = new Set(pageIds.filter((id) => picked.has(id)));
  const value: Selection = {
    pageIds,
    foldedIds: new Set(foldedIds),
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

/**
 * "Select page": every message on this page (or none); half-checked while some are. That includes
 * the messages a row of Vigil's own deliveries stands for, as ticking that row does: where the page
 * has such rows, the box says how many messages it selects, more than the rows it ticks.
 */
function SelectPageBox() {
  const { pageIds, foldedIds, selected, setAll } = useSelection();
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
        {foldedIds.size > 0 ? `Select page (all ${plural(pageIds.length)})` : 'Select page'}
      </Flex>
    </Text>
  );
}

/**
 * A row's box, for its message (or the messages a row of Vigil's own deliveries stands for: all of
 * them, half-checked while some are); `label` names them for screen readers.
 */
export function SelectRowBox({ ids, label }: { ids: readonly string[]; label: string }) {
  const { selected, toggle } = useSelection();
  const all = ids.every((id) => selected.has(id));
  const some = !all && ids.some((id) => selected.has(id));
  return (
    <Checkbox
      aria-label={`Select ${label}`}
      checked={all ? true : some ? 'indeterminate' : false}
      onCheckedChange={(checked) => {
        for (const id of ids) toggle(id, checked === true);
      }}
    />
  );
}

const plural = (n: number) => `${count(n)} message${n === 1 ? '' : 's'}`;

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

const ACTION_TEXT: Record<Action, { verb: string; applies: string }> = {
  cancel: {
    verb: 'Cancel',
    applies:
      'Only scheduled, queued or retrying messages are cancelled; the others are skipped. This cannot be undone.',
  },
  redeliver: {
    verb: 'Redeliver',
    applies:
      'Only delivered or failed messages are sent again, now; the others are skipped. Each redelivery counts towards your monthly quota.',
  },
};

/**
 * What a selection holds besides your own messages: `20 of them are Vigil's own deliveries (alerts
 * or callbacks, shown folded into rows)`, so a confirmation of 25 messages from six rows says why.
 */
export const foldedWords = (ids: readonly string[], foldedIds: ReadonlySet<string>): string => {
  const folded = ids.filter((id) => foldedIds.has(id)).length;
  if (folded === 0) return '';
  if (ids.length === 1) return " It is one of Vigil's own deliveries (an alert or a callback).";
  const them = folded === ids.length ? 'All of them are' : `${count(folded)} of them are`;
  return ` ${them} Vigil's own deliveries (alerts or callbacks), shown folded into rows of several.`;
};

function BulkConfirm({ action, ids, onStarted }: { action: Action; ids: string[]; onStarted: (job: BulkJob) => void }) {
  const { verb, applies } = ACTION_TEXT[action];
  const { foldedIds } = useSelection();
  const [key, renewKey] = useIdempotencyKey('bulk');
  return (
    <ConfirmButton
      label={`${verb} ${count(ids.length)}…`}
      title={`${verb} ${plural(ids.length)}?`}
      description={applies + foldedWords(ids, foldedIds)}
      confirmLabel={`${verb} ${plural(ids.length)}`}
      cancelLabel="Keep them"
      color="indigo"
      action={() => startBulkJob(action, { ids }, key)}
      onOpen={renewKey}
      onDone={onStarted}
    />
  );
}

/**
 * "Redeliver all failed since …": a date and time in the zone the console shows times in (named),
 * never in the future; then every message failed since then is redelivered by one job.
 */
function RedeliverFailedSince({ onStarted }: { onStarted: (job: BulkJob) => void }) {
  const displayZone = useDisplayZone();
  const [zone, setZone] = useState('UTC');
  const [value, setValue] = useState('');
  const [key, renewKey] = useIdempotencyKey('bulk');
  return (
    <FormDialog
      trigger={
        <Button variant="soft" color="gray">
          Redeliver failed since…
        </Button>
      }
      title="Redeliver every failed message since…"
      description="Every message you scheduled that failed at or after this time is sent again, now. Vigil's own callbacks and alerts are left out (redeliver one from its page). Each redelivery counts towards your monthly quota; running it again later skips what this one redelivered."
      submitLabel="Redeliver failed messages"
      onOpen={() => {
        const shownIn = displayZone ?? browserTimeZone();
        setZone(shownIn);
        // A day ago, to the second: a starting point to change.
        setValue(wallTimeNow(shownIn, Date.now() - 86_400_000));
        renewKey();
      }}
      check={() => {
        if (!value) return 'Pick a date and time.';
        if (Date.parse(instantOfWallTime(value, zone)) > Date.now()) {
          return `That time is in the future: pick one before now (${wallTimeNow(zone).replace('T', ' ')} ${zone}).`;
        }
        return undefined;
      }}
      action={() =>
        startBulkJob(
          'redeliver',
          { filter: { status: ['failed'], origin: ['message'], updatedSince: instantOfWallTime(value, zone) } },
          key,
        )
      }
      onDone={onStarted}
    >
      <DateTimeField
        id="failed-since"
        label="Failed since"
        zone={zone}
        value={value}
        onChange={setValue}
        // Now in `zone`: nothing later can have failed yet.
        max={wallTimeNow(zone)}
      />
    </FormDialog>
  );
}

const POLL_MS = 1_000;

/**
 * A job's progress, read every second until it ends (a failed read is shown, and read again at the
 * next second); then the list is refreshed once.
 */
export function JobProgress({ initial }: { initial: BulkJob }) {
  const router = useRouter();
  const [job, setJob] = useState(initial);
  const [error, setError] = useState<ActionFailure | undefined>();
  useEffect(() => {
    const following = new AbortController();
    void followJob(initial, {
      read: readBulkJob,
      onJob: (next) => {
        setJob(next);
        setError(undefined);
      },
      onError: setError,
      pollMs: POLL_MS,
      signal: following.signal,
    }).then(() => {
      if (!following.signal.aborted) router.refresh();
    });
    return () => following.abort();
  }, [initial, router]);
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
          {job.stopReason && (
            <Text size="2">
              {/* Stopped for the month's quota: in the console's words (the API's are for programs), and when it renews, in the viewer's zone. */}
              {job.stopReason.code === 'quota-exceeded' ? (
                <>
                  {QUOTA_USED_UP.bulkStopped} {QUOTA_USED_UP.stillGoes}{' '}
                  <RenewsAt iso={quotaRenewal(Date.parse(job.finishedAt ?? job.updatedAt))} /> {QUOTA_USED_UP.more}
                </>
              ) : (
                job.stopReason.detail
              )}
            </Text>
          )}
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
