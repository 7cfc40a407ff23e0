import { z } from '@hono/zod-openapi';

/** The change dashboard (CONTRACT "GET /v1/dashboard"), plus severities and labels. */
export const DashboardSchema = z
  .object({
    /** The window counted: whole UTC days. */
    from: z.string().openapi({ format: 'date', description: 'First UTC day counted.', example: '2026-11-02' }),
    to: z.string().openapi({ format: 'date', description: 'Last UTC day counted.', example: '2026-12-01' }),
    /** Servers monitored now (not deactivated). */
    servers: z.number().int(),
    changes: z.object({ total: z.number().int(), added: z.number().int(), modified: z.number().int(), removed: z.number().int(), renamed: z.number().int() }),
    bySeverity: z.object({ critical: z.number().int(), normal: z.number().int() }),
    /** Events of the window carrying each label now, most first. */
    byLabel: z.array(z.object({ labelId: z.string(), name: z.string(), total: z.number().int() })),
    /** Servers with changes in the window, most first. */
    byServer: z.array(z.object({ serverId: z.string(), hostname: z.string(), total: z.number().int() })),
    /** Every day of the window, oldest first. */
    series: z.array(z.object({ date: z.string().openapi({ format: 'date' }), total: z.number().int() })),
  })
  .openapi('Dashboard');
export type Dashboard = z.infer<typeof DashboardSchema>;
