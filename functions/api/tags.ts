/**
 * The reference's sections, in the order /docs shows them. A route names its tag from here (router.ts
 * types it), so every operation sits under a declared, described tag.
 */
export const API_TAGS = {
  Tenants: 'The operator creates tenants; each starts with an admin key, an enrollment key, the built-in `Unassigned` server group and five default labels.',
  'API keys': "A tenant's API keys and their roles (read-only, user, author, admin). A key's secret is shown once, when it is created.",
  Enrollment: 'The enrollment key agents use to register (`driftwatch-agent enroll --key ...`); rotating it stops the old key at once.',
  'Server groups':
    'Servers are grouped by the tag they enroll with (`--tag`; no matching group: `Unassigned`). A group holds the policies its servers run, its scan schedule and its alert profiles.',
  Servers: 'Enrolled servers: their status, group and FIM state, on-demand scans, baseline rebuilds, drift from the baseline and recommended targets.',
  Policies: 'What to watch: targets (absolute paths with include/exclude globs and the attributes to compare), state (off, on, real-time), hash algorithm and CPU use. Start from a template or import another tool\'s configuration.',
  Scans: 'Every scan of every server (baseline, scheduled, on-demand, agent-start, real-time) with its status and change counts.',
  Events: 'One event per entry that changed between two scans: added, removed, modified (with `changedAttributes`) or renamed, with its state before and after, and its labels.',
  Labels: 'Labels that users and rules put on events (five defaults in every tenant), and the history of every label applied, removed or re-noted.',
  Rules: 'Auto-labeling rules: immutable criteria over new events (path, change type, hostname, ...) and the label they apply at ingest.',
  'Alert profiles': 'Who is mailed about changes: one digest per scan (or real-time window) per recipient, for the severities the profile takes, to the groups it is assigned to.',
  Dashboard: 'What changed over a window of days: totals by change type, severity, label and server, and a daily series.',
  Reports: 'Weekly reports: per policy with `reports: true`, at the tenant\'s weekly report time, a zipped CSV of the label records written since the previous report.',
  'Sync destinations': 'Webhooks that receive events as notify labels are applied (JSON or OCSF 1001), signed (HMAC and Standard Webhooks), batched, retried with backoff, never twice.',
  Audit: 'Who did what, when and from where: enrollments (and those refused by the rate limit), API keys created and revoked, admin keys issued, enrollment key rotations.',
  Settings: "The tenant's settings: agent check-in interval, alert mail flood control, event retention, label sync and weekly report times.",
  'Agent protocol':
    'The routes the agent uses (its CLI does this for you): enroll, check in for configuration and pending scans, and upload a scan as a Merkle tree of entries (docs/protocol.md).',
} as const;

export type ApiTag = keyof typeof API_TAGS;
