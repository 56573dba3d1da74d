/**
 * The API Gateway emulator's state: usage plans (with the keys in each) and API keys, in memory
 * and (with a state file) saved after every change and reloaded at start, through the shared
 * persisted-state helper.
 */
import { z } from 'zod';
import type { PersistedState } from './persisted-state';
import { persistedState } from './persisted-state';

const tagsSchema = z.record(z.string(), z.string());
const throttleSchema = z.object({ burstLimit: z.number().int().min(0), rateLimit: z.number().min(0) }).partial();
const quotaSchema = z.object({
  limit: z.number().int().min(0),
  offset: z.number().int().min(0).optional(),
  period: z.enum(['DAY', 'WEEK', 'MONTH']),
});
const apiStageSchema = z.object({ apiId: z.string().min(1), stage: z.string().min(1) });

/** The CreateUsagePlan body. */
export const createUsagePlanSchema = z.object({
  name: z.string().min(1, 'Usage plan name must be non-empty'),
  description: z.string().optional(),
  apiStages: z.array(apiStageSchema).optional(),
  throttle: throttleSchema.optional(),
  quota: quotaSchema.optional(),
  tags: tagsSchema.optional(),
});

/** The CreateApiKey body (stageKeys, the pre-usage-plan binding, is not emulated). */
export const createApiKeySchema = z.object({
  name: z.string().min(1).max(1024).optional(),
  description: z.string().max(125_000).optional(),
  enabled: z.boolean().optional(),
  generateDistinctId: z.boolean().optional(),
  value: z
    .string()
    .min(20, 'API Key value should be at least 20 characters')
    .max(128, 'API Key value should be at most 128 characters')
    .optional(),
  customerId: z.string().optional(),
  tags: tagsSchema.optional(),
});

/** The CreateUsagePlanKey body (usagePlanId travels in the path). */
export const createUsagePlanKeySchema = z.object({
  keyId: z.string().min(1, 'Invalid API Key identifier specified'),
  keyType: z.literal('API_KEY', 'Invalid key type: API_KEY is the only key type'),
});

const storedPlanSchema = createUsagePlanSchema.extend({ id: z.string(), keyIds: z.array(z.string()) });
const storedKeySchema = z.object({
  id: z.string(),
  value: z.string(),
  name: z.string().optional(),
  description: z.string().optional(),
  enabled: z.boolean(),
  customerId: z.string().optional(),
  tags: tagsSchema,
  createdDate: z.number(),
  lastUpdatedDate: z.number(),
});
const stateFileSchema = z.object({ plans: z.array(storedPlanSchema), keys: z.array(storedKeySchema) });

export type UsagePlan = z.infer<typeof storedPlanSchema>;
export type ApiKey = z.infer<typeof storedKeySchema>;

export class ApiGatewayState {
  readonly plans = new Map<string, UsagePlan>();
  readonly keys = new Map<string, ApiKey>();
  private readonly file: PersistedState<z.infer<typeof stateFileSchema>>;

  constructor(options: { statePath?: string; log: (entry: Record<string, unknown>) => void }) {
    this.file = persistedState({
      path: options.statePath,
      schema: stateFileSchema,
      what: 'API Gateway state',
      log: options.log,
    });
  }

  async load(): Promise<void> {
    const saved = await this.file.load();
    for (const plan of saved?.plans ?? []) this.plans.set(plan.id, plan);
    for (const key of saved?.keys ?? []) this.keys.set(key.id, key);
  }

  /** Saves the state as it is now (after every earlier save). */
  persist(): Promise<void> {
    return this.file.save({ plans: [...this.plans.values()], keys: [...this.keys.values()] });
  }

  flushed(): Promise<void> {
    return this.file.flushed();
  }
}
