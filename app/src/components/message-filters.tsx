'use client';

import { Button, Card, CheckboxCards, Flex, Grid, Text, TextField } from '@radix-ui/themes';
import NextLink from 'next/link';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { useDisplayZone } from '@/lib/display-zone';
import { instantOfWallTime, wallTimeIn } from '@/lib/format';
import { type MessageSearch, RANGE_PARAMS, searchHref } from '@/lib/message-search';
import { MESSAGE_ORIGIN_KINDS, type MessageOriginKind } from '@/lib/types';
import { MESSAGE_STATUSES } from '@/lib/types';

/** Who made a message, as the filter names it: you, or Vigil (its own event deliveries). */
export const ORIGIN_LABELS: Record<MessageOriginKind, string> = {
  message: 'You',
  callback: 'Vigil: callbacks',
  notification: 'Vigil: alerts',
};

const RANGE_LABELS: Record<(typeof RANGE_PARAMS)[number], string> = {
  sendAtFrom: 'Send at from',
  sendAtTo: 'Send at before',
  createdAtFrom: 'Created from',
  createdAtTo: 'Created before',
  updatedSince: 'Changed since',
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

  return (
    <Card size="1" asChild>
      <form role="search" aria-label="Filter messages" onSubmit={submit} data-testid="message-filters">
        <Flex direction="column" gap="3">
          <fieldset className="vigil-fieldset">
            <legend>
              <Text size="2" weight="medium">
                Status
              </Text>
            </legend>
            <CheckboxCards.Root
              size="1"
              value={statuses}
              onValueChange={setStatuses}
              columns={{ initial: '2', xs: '4', md: '7' }}
              gap="2"
            >
              {MESSAGE_STATUSES.map((status) => (
                <CheckboxCards.Item key={status} value={status} data-testid={`status-${status}`}>
                  {status}
                </CheckboxCards.Item>
              ))}
            </CheckboxCards.Root>
          </fieldset>
          <fieldset className="vigil-fieldset">
            <legend>
              <Text size="2" weight="medium">
                Made by
              </Text>{' '}
              <Text size="1" color="gray">
                (Vigil's own: a message's callback, a notification endpoint's alert)
              </Text>
            </legend>
            <CheckboxCards.Root
              size="1"
              value={origins}
              onValueChange={setOrigins}
              columns={{ initial: '1', xs: '3' }}
              gap="2"
            >
              {MESSAGE_ORIGIN_KINDS.map((origin) => (
                <CheckboxCards.Item key={origin} value={origin} data-testid={`origin-${origin}`}>
                  {ORIGIN_LABELS[origin]}
                </CheckboxCards.Item>
              ))}
            </CheckboxCards.Root>
          </fieldset>
          <Grid columns={{ initial: '1', sm: '3' }} gap="3">
            <Field label="Label" hint="e.g. billing">
              <TextField.Root name="label" defaultValue={value.label} placeholder="billing" />
            </Field>
            <Field label="URL starts with">
              <TextField.Root name="urlPrefix" defaultValue={value.urlPrefix} placeholder="https://api.example.com/" />
            </Field>
            <Field label="Id contains">
              <TextField.Root name="idContains" defaultValue={value.idContains} placeholder="msg_01JD… or part of it" />
            </Field>
          </Grid>
          {/* Remounted once the browser knows the zone, so the times are shown in it. */}
          <Grid key={zone} columns={{ initial: '1', xs: '2', md: '5' }} gap="3">
            {RANGE_PARAMS.map((name) => (
              <Field key={name} label={RANGE_LABELS[name]} hint={zone}>
                <TextField.Root
                  type="datetime-local"
                  step="1"
                  name={name}
                  aria-label={`${RANGE_LABELS[name]} (${zone})`}
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
    </Card>
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
