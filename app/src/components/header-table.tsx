import { WITHHELD_HEADER_VALUE } from '@vigil/core/attempt-log';
import { maskedHeaderValue } from '@/lib/format';

/**
 * Headers as a two-column table (name, value) that wraps on a phone; values whose names look like
 * credentials are masked, as everywhere on the console, except those in `maskedBefore` (the API
 * masked them already, keeping their first characters: `webhook-signature: v1,K5oZ…`) and values
 * the API never stored (a receiver's cookie: `set-cookie: [withheld by Vigil]`), shown as they are.
 */
export function HeaderTable({
  headers,
  label,
  maskedBefore = [],
}: {
  headers: Record<string, string>;
  label: string;
  maskedBefore?: readonly string[];
}) {
  return (
    <table className="vigil-headers" aria-label={label}>
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
            <td>
              {maskedBefore.includes(name) || value === WITHHELD_HEADER_VALUE ? value : maskedHeaderValue(name, value)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
