import * as z from 'zod/mini';
import type { SecretName } from './function-access.ts';

/**
 * Runtime configuration, read from the environment once at cold start and validated, so a function
 * with a missing variable fails loudly on its first invocation instead of half-working.
 * zod/mini keeps workers that never touch the API's schemas small.
 */
const ConfigSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(1)),
  /**
   * Secret from which enrollment keys and list cursor signatures are derived. Only functions that declare
   * it (function-access.ts) are given it: read it with `secret()`.
   */
  DRIFTWATCH_MASTER_SECRET: z.optional(z.string().check(z.minLength(32))),
  /** sha256 hex of the operator key (the key itself is never given to the functions); the API's only. */
  OPERATOR_KEY_HASH: z.optional(z.string().check(z.regex(/^[0-9a-f]{64}$/))),
  /** Where mail goes: `ses` (SESv2) or an smtp:// (smtps://) URL (the local mail sink, or a relay). */
  MAIL_TRANSPORT: z._default(z.string().check(z.regex(/^(ses|smtps?:\/\/\S+)$/)), 'ses'),
  MAIL_FROM: z._default(z.string(), 'alerts@driftwatch.local'),
  /**
   * Base URL of the console or API that alert mail links to (`<base>/v1/events?...`). The cloud stack sets
   * its HTTP API's URL (or the `consoleUrl` context); the local stack its own; the default is `npm start`'s.
   */
  CONSOLE_URL: z._default(z.url(), 'http://127.0.0.1:8080'),
  /**
   * Key material that seals sync destinations' signing secrets (shared/secrets.ts). Only functions that
   * declare it (the API and the label-sync worker) are given it: read it with `secret()`.
   * `WEBHOOK_SECRET_KEY_PREVIOUS` (set by hand on the same functions while rotating) still opens what an
   * earlier key sealed.
   */
  WEBHOOK_SECRET_KEY: z.optional(z.string().check(z.minLength(32))),
  WEBHOOK_SECRET_KEY_PREVIOUS: z.optional(z.string().check(z.minLength(32))),
  /**
   * `true` only in the local stack: sync destinations may be on the loopback interface (`http://127.0.0.1:port`),
   * so a test receiver works. Everything else is refused there as in the cloud (functions/domain/destination-url.ts).
   */
  SYNC_ALLOW_LOOPBACK: z._default(z.enum(['true', 'false']), 'false'),
  /** Real-time changes of a server are gathered this long (seconds) into one alert digest. */
  REALTIME_ALERT_WINDOW_SECONDS: z._default(z.coerce.number().check(z.int(), z.minimum(60), z.maximum(3600)), 60),
});

export type Config = z.infer<typeof ConfigSchema>;

let cached: Config | undefined;

/** The validated configuration; parsed on first call and then reused. */
export function config(): Config {
  if (!cached) {
    const parsed = ConfigSchema.safeParse(process.env);
    if (!parsed.success) {
      const bad = parsed.error.issues.map((i) => i.path.join('.')).join(', ');
      throw new Error(`invalid configuration: ${bad}`);
    }
    cached = parsed.data as Config;
  }
  return cached;
}

/**
 * A secret of the configuration. Infra gives each function only the secrets its declaration names
 * (functions/shared/function-access.ts), so a function that reads one it did not declare fails here, loudly.
 */
export function secret(name: SecretName): string {
  const value = config()[name];
  if (!value) throw new Error(`${name} is not set: this function does not declare it among its secrets (functions/shared/function-access.ts)`);
  return value;
}
