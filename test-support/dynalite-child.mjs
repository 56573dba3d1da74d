// A dynalite server in a process of its own on a data dir, for tests that kill it with SIGKILL the
// way the local stack's process dies: `node dynalite-child.mjs <data dir> [patched|unpatched]`
// prints `port <n>` once it listens. `patched` applies the local stack's dynalite patches
// (libs/local/src/dynalite-patches.mjs) as its store's worker thread does; `unpatched` leaves
// dynalite as published.
import process from 'node:process';
import dynalite from 'dynalite';
import { applyDynalitePatches } from '../libs/local/src/dynalite-patches.mjs';

const [path, mode = 'patched'] = process.argv.slice(2);
if (mode === 'patched') applyDynalitePatches();
const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, '127.0.0.1', () => process.stdout.write(`port ${server.address().port}\n`));
