import { requestId } from 'hono/request-id';
import { onError, onNotFound } from './middleware/errors.ts';
import { accessLog } from './middleware/access-log.ts';
import { newRouter } from './router.ts';
import { renderDocsPage } from './docs-page.ts';
import { tenantRoutes } from './routes/tenants.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { enrollmentKeyRoutes } from './routes/enrollment-key.ts';
import { groupRoutes } from './routes/server-groups.ts';
import { serverRoutes } from './routes/servers.ts';
import { policyRoutes } from './routes/policies.ts';
import { policyImportRoutes } from './routes/policy-imports.ts';
import { recommendationRoutes } from './routes/recommendations.ts';
import { scanRoutes } from './routes/scans.ts';
import { eventRoutes } from './routes/events.ts';
import { agentRoutes } from './routes/agent.ts';
import { settingsRoutes } from './routes/settings.ts';
import { labelRoutes } from './routes/labels.ts';
import { ruleRoutes } from './routes/rules.ts';
import { labelHistoryRoutes } from './routes/label-history.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { alertProfileRoutes } from './routes/alert-profiles.ts';
import { auditRoutes } from './routes/audit.ts';
import { syncDestinationRoutes } from './routes/sync-destinations.ts';

/**
 * The HTTP API: the same app runs in Lambda (lambda.ts) and in the local stack. Request id and access log
 * come first; each route then checks its own body limit and credential (router.ts `route()`), so an
 * unknown path is a 404 and a wrong method a 405 before any credential is looked at.
 */
export const app = newRouter();

app.use('*', requestId({ headerName: 'X-Request-Id' }));
app.use('*', accessLog);

for (const routes of [tenantRoutes, apiKeyRoutes, enrollmentKeyRoutes, groupRoutes, serverRoutes, recommendationRoutes, policyRoutes, policyImportRoutes, scanRoutes, eventRoutes, labelRoutes, ruleRoutes, labelHistoryRoutes, dashboardRoutes, settingsRoutes, alertProfileRoutes, auditRoutes, syncDestinationRoutes, agentRoutes]) {
  app.route('/', routes);
}

app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
  type: 'http',
  scheme: 'bearer',
  description: 'A tenant API key (`dwk_...`), the operator key (`dwo_...`, tenants only), or an agent credential (`dwa_...`, agent routes only).',
});

const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Driftwatch',
    version: '1.0.0',
    description: 'Multi-tenant file integrity monitoring. JSON in and out; errors are application/problem+json; lists take `limit` and `cursor`.',
  },
  security: [{ bearer: [] }],
};

app.doc31('/openapi.json', OPENAPI);
app.get('/docs', (c) => c.html(renderDocsPage(app.getOpenAPI31Document(OPENAPI) as never)));
app.get('/', (c) => c.redirect('/docs'));
app.notFound(onNotFound);
app.onError(onError);
