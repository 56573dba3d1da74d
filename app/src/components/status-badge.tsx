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
    <Badge color={COLORS[status]} variant={status === 'cancelled' ? 'outline' : 'soft'} data-testid="status">
      {status}
    </Badge>
  );
}
