import { NotFoundError } from '../../shared/problem.ts';
import { EnrollmentKeySchema } from '../../model/api-key.ts';
import { getTenant } from '../../store/tenants.ts';
import { enrollmentKeyView, rotateEnrollmentKey } from '../../use-cases/rotate-enrollment-key.ts';
import { callerOf } from '../request-origin.ts';
import { errorResponses, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

export const enrollmentKeyRoutes = newRouter();
const tag = 'Enrollment';

enrollmentKeyRoutes.openapi(
  route({
    method: 'get',
    path: '/v1/enrollment-key',
    access: 'admin',
    operationId: 'getEnrollmentKey',
    tag,
    summary: 'Get the enrollment key',
    description:
      'The key (`dwe_...`) agents register with: `driftwatch-agent enroll --api <url> --key <key> [--tag <group tag>]`. It only enrolls; each agent then gets its own credential. ' +
      'With the setting `enrollmentKeyMaxAgeDays`, the key expires (`expiresAt`) that many days after it was issued.',
    responses: { 200: jsonResponse(EnrollmentKeySchema, 'The key agents enroll with.'), ...errorResponses },
  }),
  async (c) => {
    const tenant = await getTenant(c.var.tenantId);
    if (!tenant) throw new NotFoundError('tenant');
    return c.json(enrollmentKeyView(tenant), 200);
  },
);

enrollmentKeyRoutes.openapi(
  route({
    method: 'post',
    path: '/v1/enrollment-key/rotate',
    access: 'admin',
    operationId: 'rotateEnrollmentKey',
    tag,
    summary: 'Rotate the enrollment key',
    description: 'The old key stops enrolling at once (401). Agents already enrolled keep working: they use their own credentials. The rotation is recorded in the audit trail.',
    responses: { 200: jsonResponse(EnrollmentKeySchema, 'The new key.'), ...errorResponses },
  }),
  async (c) => c.json(await rotateEnrollmentKey(c.var.tenantId, callerOf(c), new Date()), 200),
);
