import { Callout, Text } from '@radix-ui/themes';
import { quotaRenewal } from '@/lib/format';
import { QUOTA_USED_UP } from '@/lib/problem-words';
import type { Usage } from '@/lib/types';
import { quotaUsedUp } from '@/lib/types';
import { RenewsAt } from './timestamp';

/**
 * The month's message quota, once used up: what is refused until it renews (the start of the next
 * UTC month, in the viewer's zone), what still goes, and how to send more before then; nothing while
 * some of it is left.
 */
export function QuotaNotice({ usage }: { usage: Usage }) {
  if (!quotaUsedUp(usage)) return null;
  return (
    <Callout.Root color="amber" highContrast data-testid="quota-used-up">
      <Callout.Text>
        <Text weight="bold">This month&apos;s message quota is used up.</Text> {QUOTA_USED_UP.stillGoes}{' '}
        <RenewsAt iso={quotaRenewal()} /> {QUOTA_USED_UP.more}
      </Callout.Text>
    </Callout.Root>
  );
}
