'use client';

import { Select } from '@radix-ui/themes';
import { useRouter } from 'next/navigation';
import type { MessageStatus } from '@/lib/types';
import { MESSAGE_STATUSES } from '@/lib/types';

export function StatusFilter({ value }: { value: MessageStatus | undefined }) {
  const router = useRouter();
  return (
    <Select.Root
      value={value ?? 'all'}
      onValueChange={(next) => router.push(next === 'all' ? '/messages' : `/messages?status=${next}`)}
    >
      <Select.Trigger aria-label="Filter by status" />
      <Select.Content>
        <Select.Item value="all">All statuses</Select.Item>
        <Select.Separator />
        {MESSAGE_STATUSES.map((status) => (
          <Select.Item key={status} value={status}>
            {status[0]?.toUpperCase()}
            {status.slice(1)}
          </Select.Item>
        ))}
      </Select.Content>
    </Select.Root>
  );
}
