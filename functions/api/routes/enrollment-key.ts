import { createRoute } from '@hono/zod-openapi';
import { NotFoundError } from '../../shared/problem.ts';
import { enrollmentKeyOf, getTenant, rotateEnrollmentKey } from '../../store/tenants.ts';
import { EnrollmentKeySchema } from '../schemas/api-key.schemas.ts';
import { errorResponses, jsonResponse } from '../schemas/common.schemas.ts';
import { tenantOf } from '../middleware/auth.ts';
import { newRouter } from '../router.ts';

export const enrollmentKeyRoutes = newRouter();

enrollmentKeyRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/enrollment-key',
    tags: ['Enrollment'],
    summary: 'The tenant\'s current agent enrollment key (admin)',
    responses: { 200: jsonResponse(EnrollmentKeySchema, 'The key agents enroll with.'), ...errorResponses },
  }),
  async (c) => {
    const tenant = await getTenant(tenantOf(c.get('principal')));
    if (!tenant) throw new NotFoundError('tenant');
    return c.json({ key: enrollmentKeyOf(tenant) }, 200);
  },
);

enrollmentKeyRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/enrollment-key/rotate',
    tags: ['Enrollment'],
    summary: 'Rotate the enrollment key (admin); the old key stops working at once',
    description: 'Enrolled agents keep working: they use their own credentials.',
    responses: { 200: jsonResponse(EnrollmentKeySchema, 'The new key.'), ...errorResponses },
  }),
  async (c) => c.json({ key: await rotateEnrollmentKey(tenantOf(c.get('principal'))) }, 200),
);
