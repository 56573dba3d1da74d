/**
 * Tenancy's ports on DynamoDB, for the functions that read or change tenants, keys and secrets
 * (the authorizer, the key and secret routes, usage): DynamoDB only, no queue or scheduler client.
 */
import type { TenancyDeps } from '@vigil/core';
import { DynamoTenantStore } from '../dynamo-tenant-store';
import { DynamoUsageLedger } from '../dynamo-usage-ledger';
import { systemClock } from '../system-clock';
import { TenantPartitions } from '../tenant-partitions';
import type { Base } from './base';
import { part } from './base';

export interface TenancyWiring {
  config: Base['config'];
  log: Base['log'];
  /** The adapter behind `tenancy.tenants`, `tenancy.keys` and `tenancy.users`. */
  store: DynamoTenantStore;
  /** Every tenancy port but the usage-plan binder (wiring/provisioning.ts adds it where tenants are made). */
  tenancy: TenancyDeps;
}

/** The process-wide usage ledger (the metering fold writes it, the usage report and quota read it). */
export const usageLedger = (): DynamoUsageLedger =>
  part(
    'usage-ledger',
    (b) => new DynamoUsageLedger(b.meteringDb, b.config.table, new TenantPartitions(b.config.tenantShards)),
  );

export const tenancyWiring = (): TenancyWiring =>
  part('tenancy', (b) => {
    const store = new DynamoTenantStore(b.tenancyDb, b.config.table, () => systemClock.now());
    const tenancy: TenancyDeps = {
      tenants: store,
      keys: store,
      users: store,
      sessions: store,
      ledger: usageLedger(),
      clock: systemClock,
      log: b.log,
    };
    return { config: b.config, log: b.log, store, tenancy };
  });
