import { maskedHeaderValue } from '@/lib/format';

/**
 * Headers as a two-column table (name, value) that wraps on a phone; values whose names look like
 * credentials are masked, as everywhere on the console.
 */
export function HeaderTable({
  headers,
  label,
  testId,
}: {
  headers: Record<string, string>;
  label: string;
  testId?: string;
}) {
  return (
    <table className="vigil-headers" aria-label={label} data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Value</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(headers).map(([name, value]) => (
          <tr key={name}>
            <th scope="row">{name}</th>
            <td>{maskedHeaderValue(name, value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
