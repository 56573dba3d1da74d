'use client';

import { Button, Card, CheckboxCards, Flex, Grid, Text, TextField } from '@radix-ui/themes';
import NextLink from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { useDisplayZone } from '@/lib/display-zone';
import { instantOfWallTime, wallTimeIn, zonedTime } from '@/lib/format';
import { FILTER_LABELS, filterWords, type MessageSearch, RANGE_PARAMS, searchHref } from '@/lib/message-search';
import { MESSAGE_ORIGIN_KINDS, type MessageOriginKind } from '@/lib/types';
import { MESSAGE_STATUSES } from '@/lib/types';

/** Who made a message, as the filter names it: you, or Vigil (its own event deliveries). */
const ORIGIN_LABELS: Record<MessageOriginKind, string> = {
  message: 'You',
  callback: 'Vigil: callbacks',
  notification: 'Vigil: alerts',
};

/**
 * The Messages page's filters: every filter the API takes, kept in the page's URL (so a filtered
 * list can be shared, and the back button goes to the filters before). Times are typed in the
 * zone the console shows (named beside them) and put in the URL as UTC instants.
 */
export function MessageFilters({ value }: { value: MessageSearch }) {
  const router = useRouter();
  const zone = useDisplayZone() ?? 'UTC';
  const [statuses, setStatuses] = useState<string[]>(value.status);
  const [origins, setOrigins] = useState<string[]>(value.origin);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const next: MessageSearch = {
      status: statuses,
      origin: origins,
      label: text('label'),
      urlPrefix: text('urlPrefix'),
      idContains: text('idContains'),
      ...Object.fromEntries(
        RANGE_PARAMS.map((name) => [name, text(name) === '' ? '' : instantOfWallTime(text(name), zone)]),
      ),
    } as MessageSearch;
    router.push(searchHref(next));
  };

  const given = filterWords(value, (iso) => zonedTime(iso, zone, { ms: false }));
  return (
    // Folded to one line until opened: the list, not twelve fields, is what a person comes for (on a
    // phone the open filters filled the screen, and took some 45 Tab presses to get past). The line
    // says which filters are given.
    <Card size="1" asChild>
      <details className="vigil-filters" data-testid="message-filters-panel">
        <summary>
          <Text size="2" weight="medium">
            Filters
          </Text>{' '}
          <Text size="2" color="gray" data-testid="filters-given">
            {given.length > 0 ? given.join(' · ') : 'none: every message is listed'}
          </Text>
        </summary>
        <form role="search" aria-label="Filter messages" onSubmit={submit} data-testid="message-filters">
          <Flex direction="column" gap="3" pt="3">
            <Choices
              legend={FILTER_LABELS.status}
              values={MESSAGE_STATUSES}
              label={(status) => status}
              testId="status"
              chosen={statuses}
              onChange={setStatuses}
              columns={{ initial: '2', xs: '4', md: '7' }}
            />
            <Choices
              legend={FILTER_LABELS.origin}
              hint="(Vigil's own: a message's callback, a notification endpoint's alert)"
              values={MESSAGE_ORIGIN_KINDS}
              label={(origin) => ORIGIN_LABELS[origin]}
              testId="origin"
              chosen={origins}
              onChange={setOrigins}
              columns={{ initial: '1', xs: '3' }}
            />
            <Grid columns={{ initial: '1', sm: '3' }} gap="3">
              <Field label={FILTER_LABELS.label} hint="e.g. billing">
                <TextField.Root name="label" defaultValue={value.label} placeholder="billing" />
              </Field>
              <Field label={FILTER_LABELS.urlPrefix}>
                <TextField.Root
                  name="urlPrefix"
                  defaultValue={value.urlPrefix}
                  placeholder="https://api.example.com/"
                />
              </Field>
              <Field label={FILTER_LABELS.idContains}>
                <TextField.Root
                  name="idContains"
                  defaultValue={value.idContains}
                  placeholder="msg_01JD… or part of it"
                />
              </Field>
            </Grid>
            {/* Remounted once the browser knows the zone, so the times are shown in it. */}
            <Grid key={zone} columns={{ initial: '1', xs: '2', md: '5' }} gap="3">
              {RANGE_PARAMS.map((name) => (
                <Field key={name} label={FILTER_LABELS[name]} hint={zone}>
                  <TextField.Root
                    type="datetime-local"
                    step="1"
                    name={name}
                    aria-label={`${FILTER_LABELS[name]} (${zone})`}
                    defaultValue={value[name] ? wallTimeIn(value[name], zone) : ''}
                  />
                </Field>
              ))}
            </Grid>
            <Flex gap="3" justify="end" wrap="wrap">
              <Button asChild variant="soft" color="gray">
                <NextLink href="/messages">Clear</NextLink>
              </Button>
              <Button type="submit">Apply filters</Button>
            </Flex>
          </Flex>
        </form>
      </details>
    </Card>
  );
}

/** A filter that takes any of a few values: one box each (`testId`-value), under its legend. */
function Choices<T extends string>(props: {
  legend: string;
  hint?: string;
  values: readonly T[];
  label: (value: T) => string;
  testId: string;
  chosen: string[];
  onChange: (chosen: string[]) => void;
  columns: Record<string, string>;
}) {
  return (
    <fieldset className="vigil-fieldset">
      <legend>
        <Text size="2" weight="medium">
          {props.legend}
        </Text>
        {props.hint && (
          <Text size="1" color="gray">
            {' '}
            {props.hint}
          </Text>
        )}
      </legend>
      <CheckboxCards.Root size="1" value={props.chosen} onValueChange={props.onChange} columns={props.columns} gap="2">
        {props.values.map((value) => (
          <CheckboxCards.Item key={value} value={value} data-testid={`${props.testId}-${value}`}>
            {props.label(value)}
          </CheckboxCards.Item>
        ))}
      </CheckboxCards.Root>
    </fieldset>
  );
}

function Field({ label, hint, children }: { label: string; hint?: string; children: React.ReactNode }) {
  return (
    <Flex asChild direction="column" gap="1" minWidth="0">
      <label>
        <Text size="2" weight="medium">
          {label}
          {hint && (
            <Text size="1" color="gray" weight="regular">
              {' '}
              ({hint})
            </Text>
          )}
        </Text>
        {children}
      </label>
    </Flex>
  );
}
