import { requestId } from 'hono/request-id';
import { onError, onNotFound } from './middleware/errors.ts';
import { accessLog } from './middleware/access-log.ts';
import { declareRoute, newRouter } from './router.ts';
import { docsRoutes } from './docs-routes.ts';
import { openApiConfig, SECURITY_SCHEMES } from './openapi-document.ts';
import { withExamples } from './openapi-examples.ts';
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
import { reportRoutes } from './routes/reports.ts';
import { syncDestinationRoutes } from './routes/sync-destinations.ts';

/**
 * The HTTP API: the same app runs in Lambda (lambda.ts) and in the local stack. Request id and access log
 * come first; each route then checks its own body limit and credential (router.ts `route()`), so an
 * unknown path is a 404 and a wrong method a 405 before any credential is looked at.
 */
export const app = newRouter();

app.use('*', requestId({ headerName: 'X-Request-Id' }));
app.use('*', accessLog);

for (const routes of [tenantRoutes, apiKeyRoutes, enrollmentKeyRoutes, groupRoutes, serverRoutes, recommendationRoutes, policyRoutes, policyImportRoutes, scanRoutes, eventRoutes, labelRoutes, ruleRoutes, labelHistoryRoutes, dashboardRoutes, reportRoutes, settingsRoutes, alertProfileRoutes, auditRoutes, syncDestinationRoutes, agentRoutes]) {
  app.route('/', routes);
}

for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);

/** /openapi.json: generated once (the routes do not change while the app runs), with the origin it is served from as its server. */
let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
declareRoute('get', '/openapi.json');
app.get('/openapi.json', (c) => {
  document ??= withExamples(app.getOpenAPI31Document(openApiConfig()));
  const { openapi, info, ...rest } = document;
  return c.json({ openapi, info, servers: [{ url: new URL(c.req.url).origin, description: 'The deployment that served this document.' }], ...rest });
});
app.route('/', docsRoutes);
app.get('/', (c) => c.redirect('/docs'));
app.notFound(onNotFound);
app.onError(onError);
