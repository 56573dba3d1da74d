import type { Clock } from '../clock';
import type { Logger } from '../ports';
import type { UsageLedger } from '../usage';
import type { ApiKeyStore, SessionRevocations, TenantStore, UsagePlanBinder, UserDirectory } from './ports';

/**
 * Everything tenancy's use cases may need. Each use case names the part it uses (a `Pick`), so a
 * function is wired with only the ports it calls.
 */
export interface TenancyDeps {
  tenants: TenantStore;
  keys: ApiKeyStore;
  users: UserDirectory;
  sessions: SessionRevocations;
  /** Absent where the platform has no usage plans (the local stack binds through its emulator). */
  usagePlans?: UsagePlanBinder;
  ledger: UsageLedger;
  clock: Pick<Clock, 'now'>;
  log: Logger;
}
