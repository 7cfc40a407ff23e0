import { z } from '@hono/zod-openapi';
import { OPTIONAL_ATTRIBUTES } from './entry.ts';
import { EntrySchema, MAX_WIRE_PATH } from './entry.schemas.ts';
import { CONTROL_CHARACTER } from './wire-path.ts';
import { CpuUsageSchema, HashAlgorithmSchema, PolicyStateSchema, TargetSchema } from './policy.schemas.ts';
import { PlatformSchema, ScanKindSchema, ScanStatusSchema, TimestampSchema, WatchingSchema, type ScanKind } from './enums.ts';
import { SOFTWARE_ID } from './software.ts';

export { ScanKindSchema, type ScanKind };

/**
 * The agent protocol's wire shapes (docs/protocol.md). The agent imports only the *types* from here,
 * so its bundle carries no zod; the API validates every request with these schemas.
 */
const hash = z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'a node hash is 22 base64url characters');

/**
 * A name an agent reports about itself (hostname, tag, version): shown in lists, mails, CSV reports and
 * logs, so it must not carry a raw control character that could rewrite a terminal or split a line.
 */
const reportedName = (max: number) => z.string().min(1).max(max).refine((text) => !CONTROL_CHARACTER.test(text), 'must not contain control characters');

export const EnrollRequestSchema = z.strictObject({
  hostname: reportedName(253),
  platform: PlatformSchema,
  agentVersion: reportedName(64),
  tag: reportedName(128).optional(),
});
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;

export const EnrollResponseSchema = z.object({
  serverId: z.string(),
  tenantId: z.string(),
  credential: z.string().openapi({ description: 'The agent credential (`dwa_...`): shown once, stored hashed.' }),
  group: z.object({
    id: z.string(),
    name: z.string(),
    policyCount: z.number().int().openapi({ description: 'Policies of the group now: with none, the server has nothing to scan until one is added.' }),
  }).openapi({ description: 'The group the server joined.' }),
  tagMatched: z.boolean().openapi({ description: 'Whether a group has the tag the agent enrolled with; false: it joined `Unassigned`.' }),
});
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;

export const AgentPolicySchema = z.object({
  id: z.string(),
  name: z.string(),
  /** Effective state: the policy's own state with the server's fimState override applied. */
  state: PolicyStateSchema,
  hashAlgorithm: HashAlgorithmSchema,
  cpuUsage: CpuUsageSchema,
  fullRehashEvery: z.number().int(),
  targets: z.array(TargetSchema),
});
export type AgentPolicy = z.infer<typeof AgentPolicySchema>;


export const CheckInRequestSchema = z.strictObject({
  agentVersion: reportedName(64),
  /** The config version the agent holds; the answer carries config only when it differs. */
  configVersion: z.string().max(64).nullable().default(null),
  /** True on the first check-in after the agent process started (for scanOnAgentStart). */
  starting: z.boolean().default(false),
  /** Whether real-time watching works on this host (shown to users). */
  watching: WatchingSchema.optional(),
  /**
   * Software the host runs, as ids (functions/contract/software.ts), found cheaply by the agent (well-known
   * binaries and configuration files): what server recommendations are based on. Absent from older agents.
   */
  software: z.array(z.string().regex(SOFTWARE_ID)).max(32).optional(),
});
export type CheckInRequest = z.input<typeof CheckInRequestSchema>;

export const PendingScanSchema = z.object({ id: z.string(), kind: ScanKindSchema, requestedAt: TimestampSchema });
export type PendingScan = z.infer<typeof PendingScanSchema>;

export const CheckInResponseSchema = z.object({
  serverId: z.string(),
  configVersion: z.string(),
  /** null when the agent's configVersion is current. */
  config: z
    .object({
      policies: z.array(AgentPolicySchema),
      group: z.object({ id: z.string(), name: z.string() }).openapi({ description: "The server's group, whose policies these are (for the agent to name it)." }),
    })
    .nullable()
    .openapi({ description: 'The policies to run, only when they changed since `configVersion` (else null).' }),
  pendingScans: z.array(PendingScanSchema),
  checkInIntervalSeconds: z.number().int(),
});
export type CheckInResponse = z.infer<typeof CheckInResponseSchema>;

export const CreateAgentScanSchema = z.strictObject({ kind: z.enum(['on-demand', 'agent-start', 'real-time']) });
export type CreateAgentScan = z.infer<typeof CreateAgentScanSchema>;

export const HaveRequestSchema = z.strictObject({ hashes: z.array(hash).min(1).max(2000) });
export type HaveRequest = z.infer<typeof HaveRequestSchema>;
export const HaveResponseSchema = z.object({ missing: z.array(z.string()) });
export type HaveResponse = z.infer<typeof HaveResponseSchema>;

export const WireLeafSchema = z.strictObject({
  level: z.literal(0),
  entries: z.array(z.tuple([z.string().min(1).max(MAX_WIRE_PATH), EntrySchema])).max(128),
});
export const WireInnerSchema = z.strictObject({
  level: z.number().int().min(1).max(32),
  children: z.array(hash).min(1).max(128),
});
/** A leaf given as a change to a stored leaf of the same tenant (functions/contract/tree-delta.ts). */
export const WireLeafDeltaSchema = z.strictObject({
  level: z.literal(0),
  base: hash,
  remove: z.array(z.string().min(1).max(MAX_WIRE_PATH)).max(128),
  put: z.array(z.tuple([z.string().min(1).max(MAX_WIRE_PATH), EntrySchema])).max(128),
});
/** An inner node given as splices of a stored inner node's children. */
export const WireInnerDeltaSchema = z.strictObject({
  level: z.number().int().min(1).max(32),
  base: hash,
  edits: z.array(z.tuple([z.number().int().min(0).max(4096), z.number().int().min(0).max(4096), z.array(hash).max(128)])).min(1).max(128),
});
export const NodesRequestSchema = z.strictObject({
  policyId: z.string().min(1).max(64),
  nodes: z.array(z.union([WireLeafSchema, WireInnerSchema, WireLeafDeltaSchema, WireInnerDeltaSchema])).min(1).max(4000),
});
export type NodesRequest = z.infer<typeof NodesRequestSchema>;
export const NodesResponseSchema = z.object({ stored: z.array(z.string()) });
export type NodesResponse = z.infer<typeof NodesResponseSchema>;

export const CompleteRequestSchema = z.strictObject({
  /** When the agent finished walking (a spooled scan is sent later); events carry it as detectedAt. */
  scannedAt: z.iso.datetime().optional(),
  results: z
    .array(
      z.strictObject({
        policyId: z.string().min(1).max(64),
        root: hash,
        filesScanned: z.number().int().nonnegative(),
        /** Entries listed but not recorded: their metadata could not be read. */
        skipped: z.number().int().nonnegative().optional(),
        /** Entries recorded with `unreadable` (metadata known, content or listing not). */
        unreadable: z.number().int().nonnegative().optional(),
        /** Attributes the agent could not record on this host; absent (an older agent): none of the optional ones was recorded. */
        unsupportedAttributes: z.array(z.enum(OPTIONAL_ATTRIBUTES)).max(OPTIONAL_ATTRIBUTES.length).optional(),
      }),
    )
    .max(100),
});
export type CompleteRequest = z.infer<typeof CompleteRequestSchema>;
export const CompleteResponseSchema = z.object({ scanId: z.string(), status: z.string() });
/** 409 answer of `complete` when the server lacks some roots: the agent must sync those trees first. */
export const MissingRootsSchema = z.object({ missing: z.array(z.string()) });

export const FailScanSchema = z.strictObject({ error: z.string().min(1).max(2000) });

/** The agent's view of one scan (`GET /v1/agent/scans/{id}`, `POST /v1/agent/scans`). */
export const AgentScanSchema = z.object({
  id: z.string(),
  kind: ScanKindSchema,
  status: ScanStatusSchema,
  requestedAt: TimestampSchema,
  startedAt: TimestampSchema.optional(),
  completedAt: TimestampSchema.optional(),
  stats: z
    .object({
      filesScanned: z.number(),
      added: z.number(),
      modified: z.number(),
      removed: z.number(),
      renamed: z.number(),
      skipped: z.number().optional(),
      unreadable: z.number().optional(),
    })
    .optional(),
  unsupportedAttributes: z.array(z.string()).optional(),
  error: z.string().optional(),
});
export type AgentScan = z.infer<typeof AgentScanSchema>;
