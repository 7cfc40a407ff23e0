import { NotFoundError } from '../../shared/problem.ts';
import { EnrollmentKeySchema } from '../../model/api-key.ts';
import { getTenant } from '../../store/tenants.ts';
import { enrollmentKeyView, rotateEnrollmentKey } from '../../use-cases/rotate-enrollment-key.ts';
import { callerOf } from '../request-origin.ts';
import { errorResponses, jsonResponse } from '../schemas/common.schemas.ts';
import { newRouter, route } from '../router.ts';

export const enrollmentKeyRoutes = newRouter();
const tags = ['Enrollment'];

enrollmentKeyRoutes.openapi(
  route({ method: 'get', path: '/v1/enrollment-key', access: 'admin', tags, summary: 'The tenant\'s current agent enrollment key (admin)', responses: { 200: jsonResponse(EnrollmentKeySchema, 'The key agents enroll with.'), ...errorResponses } }),
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
    tags,
    summary: 'Rotate the enrollment key (admin); the old key stops working at once',
    description: 'Enrolled agents keep working: they use their own credentials.',
    responses: { 200: jsonResponse(EnrollmentKeySchema, 'The new key.'), ...errorResponses },
  }),
  async (c) => c.json(await rotateEnrollmentKey(c.var.tenantId, callerOf(c), new Date()), 200),
);
