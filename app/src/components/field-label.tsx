import { Text } from '@radix-ui/themes';
import type { ReactNode } from 'react';

/** A form field's name, above it, tied to it by the field's id. */
export function FieldLabel({ htmlFor, children }: { htmlFor: string; children: ReactNode }) {
  return (
    <Text as="label" size="2" weight="medium" htmlFor={htmlFor}>
      {children}
    </Text>
  );
}
