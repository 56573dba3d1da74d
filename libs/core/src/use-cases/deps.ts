import type { Clock } from '../clock';
import type { BucketTimer, DeliveryQueue, Logger, MessageStore } from '../ports';
import type { EngineSettings } from '../settings';

/** What every use-case that writes or routes messages needs. */
export interface SchedulingDeps {
  store: MessageStore;
  queue: DeliveryQueue;
  timer: BucketTimer;
  clock: Clock;
  settings: EngineSettings;
  log: Logger;
}
