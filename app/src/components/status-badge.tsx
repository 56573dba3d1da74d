import { Badge } from '@radix-ui/themes';
import type { ComponentProps } from 'react';
import type { MessageStatus } from '@/lib/types';

const COLORS: Record<MessageStatus, ComponentProps<typeof Badge>['color']> = {
  scheduled: 'gray',
  queued: 'blue',
  delivering: 'indigo',
  retrying: 'amber',
  delivered: 'grass',
  failed: 'red',
  cancelled: 'gray',
};

export function StatusBadge({ status }: { status: MessageStatus }) {
  return (
    // High contrast: the soft blue and amber badges fall just short of WCAG AA's 4.5:1 otherwise.
    <Badge
      color={COLORS[status]}
      variant={status === 'cancelled' ? 'outline' : 'soft'}
      highContrast
      data-testid="status"
    >
      {status}
    </Badge>
  );
}
