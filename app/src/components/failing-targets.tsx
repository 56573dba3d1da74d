import { ExclamationTriangleIcon } from '@radix-ui/react-icons';
import { Callout, Link, Text } from '@radix-ui/themes';
import NextLink from 'next/link';
import { count } from '@/lib/format';
import type { FailingTarget } from '@/lib/list-rows';
import { searchHref, searchOf } from '@/lib/message-search';

/** How many failing hosts the line names; the rest are counted. */
const NAMED = 3;

/** `26 failed, 2 retrying (1 delivered)`. */
const tally = (target: FailingTarget): string =>
  [target.failed > 0 && `${count(target.failed)} failed`, target.retrying > 0 && `${count(target.retrying)} retrying`]
    .filter(Boolean)
    .join(', ') +
  (target.delivered > 0 ? ` (${count(target.delivered)} delivered)` : '') +
  (target.vigilOnly ? ", all Vigil's own deliveries" : '');

/**
 * The hosts several messages of the page are failing to, on one line above the list: an endpoint
 * that is down, named once, each leading to its failed and retrying messages (to redeliver them once
 * it is back), instead of as many red rows. Counted among the page's `counted` messages only, and it
 * says so: later pages (`morePages`) may hold more failures to the same hosts, or other hosts.
 */
export function FailingTargets({
  targets,
  counted,
  morePages,
}: {
  targets: readonly FailingTarget[];
  counted: number;
  morePages: boolean;
}) {
  if (targets.length === 0) return null;
  const more = targets.length - NAMED;
  return (
    <Callout.Root color="red" size="1" data-testid="failing-targets">
      <Callout.Icon>
        <ExclamationTriangleIcon />
      </Callout.Icon>
      <Text as="div" size="2">
        <Text weight="bold">
          Failing among the {count(counted)} messages on this page{morePages && ' (later pages not counted)'}:
        </Text>{' '}
        <ul className="vigil-inline-list">
          {targets.slice(0, NAMED).map((target) => (
            <li key={target.host} data-testid="failing-target">
              {target.urlPrefix ? (
                <Link asChild weight="medium" className="vigil-mono-text">
                  <NextLink
                    href={searchHref({
                      ...searchOf({}),
                      status: ['failed', 'retrying'],
                      urlPrefix: target.urlPrefix,
                    })}
                  >
                    {target.host}
                  </NextLink>
                </Link>
              ) : (
                <Text weight="medium" className="vigil-mono-text">
                  {target.host}
                </Text>
              )}{' '}
              {tally(target)}
            </li>
          ))}
          {more > 0 && (
            <li>
              and {count(more)} more {more === 1 ? 'host' : 'hosts'}
            </li>
          )}
        </ul>
      </Text>
    </Callout.Root>
  );
}
