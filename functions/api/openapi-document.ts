import packageJson from '../../package.json' with { type: 'json' };
import { API_TAGS } from './tags.ts';

/** The API's version in the reference: the package's own, so a release bumps one number. */
export const API_VERSION: string = packageJson.version;

/** What the reference says before its operations: how to authenticate, how errors and lists look. */
const INTRODUCTION = `Multi-tenant file integrity monitoring: agents on your servers scan the files your policies name and upload
what changed; this API manages policies, server groups and alerting, and serves the change events.

**Authenticate** with \`Authorization: Bearer <key>\`. Which key a route takes is under its lock icon and in its
description:

| key | prefix | who has it | used for |
|---|---|---|---|
| tenant API key | \`dwk_\` | people and scripts; one role each: \`read-only\` < \`user\` < \`author\` < \`admin\` | everything under /v1 except the agent protocol |
| operator key | \`dwo_\` | whoever runs the deployment | \`POST /v1/tenants\` only |
| enrollment key | \`dwe_\` | the tenant's admins, for installing agents | \`POST /v1/agent/enroll\` only |
| agent credential | \`dwa_\` | one agent, answered once when it enrolls | the agent protocol |

On a local stack (\`npm start\`) the first start writes all of them to \`.driftwatch/credentials.json\`.
A missing or invalid key is a 401; a valid key that the route does not take (another kind, or a role too low) a 403;
another tenant's object a 404, exactly as if it did not exist.

**Requests and answers** are JSON with camelCase fields; timestamps are ISO-8601 in UTC; ids are opaque strings.
An unknown field in a body is a 400 naming it, and so is an unknown query parameter on a list. Bodies are limited to
256 KiB (imports 1 MiB, agent uploads 5 MiB): larger ones are a 413.

**Errors** are \`application/problem+json\` (RFC 9457): \`{"type", "title", "status", "detail", "errors": [{"path", "message"}]}\`;
\`errors\` lists each invalid field. An unknown path is a 404; a known path with another method a 405 with \`Allow\`.

**Lists** answer \`{"items": [...], "nextCursor": "..." | null}\`: pass \`?cursor=<nextCursor>\` for the next page and
\`?limit=\` (1-500, default 50) for its size.`;

/** The security schemes, one per kind of credential (all bearer tokens); route() gives each operation its own. */
export const SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (`dwk_...`), whose role (read-only, user, author, admin) decides what it may do.' },
  operatorKey: { type: 'http', scheme: 'bearer', description: 'The operator key (`dwo_...`): creates tenants, nothing else.' },
  enrollmentKey: { type: 'http', scheme: 'bearer', description: "The tenant's enrollment key (`dwe_...`): enrolls agents, nothing else." },
  agentCredential: { type: 'http', scheme: 'bearer', description: 'An agent credential (`dwa_...`), answered once at enrollment: the agent protocol only.' },
} as const;

/**
 * The document-level part of /openapi.json (the operations come from the routes). app.ts adds `servers`:
 * the origin the document was served from, so "Try it out" and generated clients call that deployment.
 */
export function openApiConfig() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Driftwatch API',
      version: API_VERSION,
      description: INTRODUCTION,
    },
    tags: Object.entries(API_TAGS).map(([name, description]) => ({ name, description })),
  };
}
