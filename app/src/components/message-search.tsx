import { MagnifyingGlassIcon } from '@radix-ui/react-icons';
import { TextField } from '@radix-ui/themes';

/** Find a message by its id: a plain GET form, so it works before the page's script has loaded. */
export function MessageSearch() {
  return (
    <form action="/messages" method="get" role="search">
      <TextField.Root name="id" placeholder="Find by id (msg_…)" aria-label="Message id" style={{ minWidth: 260 }}>
        <TextField.Slot>
          <MagnifyingGlassIcon />
        </TextField.Slot>
      </TextField.Root>
    </form>
  );
}
