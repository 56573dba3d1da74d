import type { Clock } from '../clock';
import type { BucketTimer, DeliveryQueue, Logger, MessageStore } from '../ports';
import type { EngineSettings } from '../settings';
import type { TargetPolicy } from '../targets';
import type { QuotaGuard, UsageMeter } from '../usage';

/** What every use-case that writes or routes messages needs. */
export interface SchedulingDeps {
  store: MessageStore;
  queue: DeliveryQueue;
  timer: BucketTimer;
  clock: Clock;
  settings: EngineSettings;
  log: Logger;
  /** Usage events go here (optional: tests of pure scheduling need none). */
  meter?: UsageMeter;
  /** Monthly quota enforcement at create time (optional likewise). */
  quota?: QuotaGuard;
  /** Which target URLs may be stored (create and PATCH); none checked without it. */
  targets?: TargetPolicy;
  /** In [0, 1): spreads the tries of a change that found the message changed (0.5 without it). */
  random?: () => number;
}
