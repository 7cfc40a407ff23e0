import { z } from '@hono/zod-openapi';
import { TargetInputSchema } from '../contract/policy.schemas.ts';
import { PlatformSchema } from './enums.ts';

/**
 * Policies and targets are contract shapes (the agent runs them): their one model lives in
 * functions/contract/policy.schemas.ts and is re-exported here, so server code finds every model in one place.
 */
export { PolicySchema, TargetInputSchema, TargetSchema, type Policy, type Target } from '../contract/policy.schemas.ts';

/** A built-in starting point for a policy (GET /v1/policy-templates). */
export const PolicyTemplateSchema = z
  .object({ id: z.string(), name: z.string(), platform: PlatformSchema, targets: z.array(TargetInputSchema) })
  .openapi('PolicyTemplate');
