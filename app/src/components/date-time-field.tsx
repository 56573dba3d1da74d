'use client';

import { TextField } from '@radix-ui/themes';
import { FieldLabel } from './field-label';

/**
 * A date and time typed as a wall time in a zone its label names (`Send at (Europe/Berlin)`), to
 * the second, or to the millisecond when the value has them (a step of 1 s would refuse those).
 * The label and the field are two items of the form's column.
 */
export function DateTimeField({
  id,
  label,
  zone,
  value,
  onChange,
  min,
  max,
}: {
  id: string;
  label: string;
  zone: string;
  value: string;
  onChange: (value: string) => void;
  /** Wall times in `zone`, as the field writes them. */
  min?: string;
  max?: string;
}) {
  return (
    <>
      <FieldLabel htmlFor={id}>
        {label} ({zone})
      </FieldLabel>
      <TextField.Root
        id={id}
        type="datetime-local"
        step={value.includes('.') ? '0.001' : '1'}
        value={value}
        min={min}
        max={max}
        onChange={(event) => onChange(event.target.value)}
        required
      />
    </>
  );
}
