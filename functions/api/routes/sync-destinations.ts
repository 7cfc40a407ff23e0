import { SendNowSchema, SyncDestinationSchema } from '../../model/sync-destination.ts';
import { getSyncDestination, syncDestinations } from '../../store/sync-destinations.ts';
import { syncKeys } from '../../store/keys.ts';
import { createSyncDestination, deleteSyncDestination, patchSyncDestination } from '../../use-cases/manage-sync-destinations.ts';
import { requestSyncNow } from '../../use-cases/request-sync-now.ts';
import { servedDestination, servedDestinations } from '../../use-cases/sync-destination-view.ts';
import { CreateSyncDestinationSchema, PatchSyncDestinationSchema } from '../schemas/sync-destination.schemas.ts';
import { conflictResponse, errorResponses, idParam, jsonBody, jsonResponse, noContent } from '../schemas/common.schemas.ts';
import { found, getRoute, listRoute, newRouter, route } from '../router.ts';
import { callerOf } from '../request-origin.ts';

export const syncDestinationRoutes = newRouter();
const tag = 'Sync destinations';

const ABOUT =
  'Every `labeledEventSyncIntervalMinutes` (settings, default 30) and on send-now, each application of a `notify` label recorded after the destination was created ' +
  'and not yet acknowledged by it is POSTed to it, at most 500 events or 1 MB per POST: `{"tenantId", "sentAt", "deliveryId", "format", "events": [...]}`. ' +
  'A destination added later gets what is labeled from then on, not what was labeled before it existed. ' +
  'Each POST carries `X-Driftwatch-Signature: sha256=<hex HMAC-SHA256 of the raw body>` and the Standard Webhooks headers `webhook-id` (the same on every retry of a batch), ' +
  '`webhook-timestamp` and `webhook-signature`. A 2xx acknowledges the batch (never sent again); anything else is retried with backoff; a 410 disables the destination. ' +
  'Mapping of `format: "ocsf"` and the verification recipe: docs/label-sync.md.';

syncDestinationRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/sync-destinations',
    access: 'author',
    operationId: 'createSyncDestination',
    tag,
    summary: 'Create a sync destination (a webhook for labeled events)',
    description: ABOUT,
    request: { body: jsonBody(CreateSyncDestinationSchema) },
    responses: { 201: jsonResponse(SyncDestinationSchema, 'The destination (the secret is never returned).'), ...errorResponses },
  }),
  async (c) => c.json(await createSyncDestination(c.var.tenantId, c.req.valid('json'), callerOf(c), new Date()), 201),
);

syncDestinationRoutes.openapi(listRoute({ path: '/v1/sync-destinations', operationId: 'listSyncDestinations', tag, summary: 'List sync destinations with their health', description: 'Each with its health: last success and failure, what it is owed, its backoff, whether it is disabled.', schema: SyncDestinationSchema }), async (c) => {
  const page = await syncDestinations.page(syncKeys.destinations(c.var.tenantId), c.req.valid('query'));
  return c.json({ items: await servedDestinations(c.var.tenantId, page.items, new Date()), nextCursor: page.nextCursor }, 200);
});

syncDestinationRoutes.openapi(getRoute({ path: '/v1/sync-destinations/{id}', what: 'sync destination', operationId: 'getSyncDestination', tag, summary: 'Get a sync destination with its health', description: 'Its URL, format, labels, whether it is enabled, and its health (the secret is never returned).', schema: SyncDestinationSchema }), async (c) =>
  c.json(await servedDestination(c.var.tenantId, found(await getSyncDestination(c.var.tenantId, c.req.valid('param').id), 'sync destination'), new Date()), 200),
);

syncDestinationRoutes.openapi(
  route({
    method: 'patch',
    path: '/v1/sync-destinations/{id}',
    access: 'author',
    operationId: 'updateSyncDestination',
    tag,
    summary: 'Update a sync destination; fields left out stay unchanged',
    description: 'A new `secret` replaces the old one, which keeps signing (a second signature in each header) for `previousSecretValidHours` (default 24), so receivers can switch without losing a delivery. `{"enabled": true}` resumes a disabled destination.',
    request: { params: idParam('sync destination'), body: jsonBody(PatchSyncDestinationSchema) },
    responses: { 200: jsonResponse(SyncDestinationSchema, 'The destination.'), ...errorResponses },
  }),
  async (c) => c.json(await patchSyncDestination(c.var.tenantId, c.req.valid('param').id, c.req.valid('json'), callerOf(c), new Date()), 200),
);

syncDestinationRoutes.openapi(
  route({
    method: 'delete',
    path: '/v1/sync-destinations/{id}',
    access: 'admin',
    operationId: 'deleteSyncDestination',
    tag,
    summary: 'Delete a sync destination and what it was still owed (admin)',
    description: 'Its outbox goes with it: nothing more is sent to it.',
    request: { params: idParam('sync destination') },
    responses: { ...noContent, ...errorResponses },
  }),
  async (c) => {
    await deleteSyncDestination(c.var.tenantId, c.req.valid('param').id, callerOf(c), new Date());
    return c.body(null, 204);
  },
);

syncDestinationRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/sync-destinations/{id}/send-now',
    access: 'user',
    operationId: 'sendSyncDestinationNow',
    tag,
    summary: 'Send what the destination is owed now (Send Data Now)',
    description: 'Delivers at once whatever is labeled and not yet acknowledged by this destination, regardless of the interval or a failure backoff. Nothing owed: nothing is sent.',
    request: { params: idParam('sync destination') },
    responses: { 202: jsonResponse(SendNowSchema, 'The delivery is on its way.'), ...conflictResponse('The destination is disabled.'), ...errorResponses },
  }),
  async (c) => c.json(await requestSyncNow(c.var.tenantId, c.req.valid('param').id, new Date()), 202),
);
