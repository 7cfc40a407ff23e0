import { TextDecoder } from 'node:util';
import type { Context } from 'hono';
import { PolicySchema } from '../../model/policy.ts';
import { PolicyExportSchema } from '../../model/policy-export.ts';
import { ImportTargetsResultSchema, type ImportFormat } from '../../model/target-import.ts';
import { UnsupportedMediaTypeError, ValidationError } from '../../shared/problem.ts';
import { getPolicy } from '../../store/policies.ts';
import { createPolicy } from '../../use-cases/create-policy.ts';
import { exportPolicy, policyInputOf } from '../../use-cases/export-policy.ts';
import { importTargets } from '../../use-cases/import-targets.ts';
import { BODY_LIMITS } from '../middleware/body-limit.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse, unsupportedMediaResponse } from '../schemas/common.schemas.ts';
import { ImportBodySchema, ImportTargetsQuerySchema } from '../schemas/policy-import.schemas.ts';
import { found, newRouter, route } from '../router.ts';

/** Moving policies and targets in and out: other tools' files, and policies between tenants. */
export const policyImportRoutes = newRouter();
const tag = 'Policies';

/** Content types the target import reads, and the format each means. */
const FORMAT_OF_TYPE: Record<string, ImportFormat | null> = {
  'text/csv': 'watchlist',
  'application/csv': 'watchlist',
  'application/xml': 'ossec',
  'text/xml': 'ossec',
  'text/plain': null,
};

/** Which importer a request asks for: `?format=` where given (it must fit the Content-Type), else the Content-Type's. */
function formatOf(contentType: string, asked: ImportFormat | undefined): ImportFormat {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (!(type in FORMAT_OF_TYPE)) {
    throw new UnsupportedMediaTypeError('Send text/csv (watchlist CSV), application/xml (OSSEC/Wazuh <syscheck>) or text/plain with ?format=aide.');
  }
  const implied = FORMAT_OF_TYPE[type];
  if (asked && implied && asked !== implied) {
    throw new ValidationError(`format=${asked} does not match Content-Type ${type} (${implied}).`, [{ path: 'format', message: `${type} is ${implied}` }]);
  }
  const format = asked ?? implied;
  if (!format) throw new ValidationError('text/plain needs ?format= (aide, watchlist or ossec).', [{ path: 'format', message: 'required with text/plain' }]);
  return format;
}

/** The body as text in the charset the Content-Type names (UTF-8 by default); invalid bytes are a 400. */
async function bodyText(c: Context): Promise<string> {
  const charset = /;\s*charset="?([^";]+)"?/i.exec(c.req.header('content-type') ?? '')?.[1]?.trim() ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true, ignoreBOM: false });
  } catch {
    throw new UnsupportedMediaTypeError(`charset ${charset} is not supported; send UTF-8.`);
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  try {
    return decoder.decode(bytes).replace(/\r\n?/g, '\n');
  } catch {
    throw new ValidationError(`The body is not valid ${charset}.`, [{ path: 'body', message: `not ${charset}` }]);
  }
}

policyImportRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/policies/{id}/targets/import',
    access: 'author',
    bodyLimit: BODY_LIMITS.imports,
    operationId: 'importPolicyTargets',
    tag,
    summary: 'Import targets from another tool',
    description:
      'Reads a Tanium watchlist CSV (`text/csv`), an OSSEC/Wazuh `<syscheck>` block (`application/xml`) or an AIDE configuration (`text/plain?format=aide`) and appends its paths to the policy as targets (docs/templates-and-imports.md has each mapping). ' +
      'Every line is either added (`targets`, with its line) or reported in `skipped` with the reason; lines that were used or have no equivalent here are in `notes`. ' +
      'A file that cannot be read at all is a 400 naming the line, and adds nothing; so is an import that would take the policy over 500 targets. Bodies over 1 MiB: 413.',
    request: {
      params: idParam('policy'),
      query: ImportTargetsQuerySchema,
      body: {
        required: true,
        content: { 'text/csv': { schema: ImportBodySchema }, 'application/xml': { schema: ImportBodySchema }, 'text/plain': { schema: ImportBodySchema } },
      },
    },
    responses: {
      200: jsonResponse(ImportTargetsResultSchema, 'What was added, skipped and noted.'),
      ...conflictResponse('The policy kept changing while the targets were added: try again.'),
      ...unsupportedMediaResponse('Another Content-Type, or a charset that is not supported.'),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { format, dryRun } = c.req.valid('query');
    const chosen = formatOf(c.req.header('content-type') ?? '', format);
    const text = await bodyText(c);
    return c.json(await importTargets(c.var.tenantId, c.req.valid('param').id, { format: chosen, text, dryRun: dryRun === 'true' }, new Date()), 200);
  },
);

policyImportRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/policies/{id}/export',
    access: 'read-only',
    operationId: 'exportPolicy',
    tag,
    summary: 'Export a policy',
    description:
      'The policy as a JSON file (`Content-Disposition: attachment`) without ids, timestamps or baseline server, to import into another tenant (QA to production) with POST /v1/policies/import.',
    request: { params: idParam('policy') },
    responses: { 200: jsonResponse(PolicyExportSchema, 'The policy without ids, timestamps or baseline server.'), ...errorResponses },
  }),
  async (c) => {
    const policy = found(await getPolicy(c.var.tenantId, c.req.valid('param').id), 'policy');
    const name = policy.name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'policy';
    c.header('Content-Disposition', `attachment; filename="policy-${name}.json"`);
    return c.json(exportPolicy(policy, new Date()), 200);
  },
);

policyImportRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/policies/import',
    access: 'author',
    bodyLimit: BODY_LIMITS.imports,
    operationId: 'importPolicy',
    tag,
    summary: 'Import an exported policy',
    description: 'Creates a new policy from the answer of GET /v1/policies/{id}/export (of any tenant): new ids, no baseline server. Bodies over 1 MiB: 413.',
    request: { body: jsonBody(PolicyExportSchema) },
    responses: { 201: jsonResponse(PolicySchema, 'The new policy.'), ...errorResponses },
  }),
  async (c) => c.json(await createPolicy(c.var.tenantId, policyInputOf(c.req.valid('json')), new Date()), 201),
);
