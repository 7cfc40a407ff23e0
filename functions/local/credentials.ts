import { newSecret } from '../shared/ids.ts';
import type { LocalLog } from './local-log.ts';
import { readJsonFile, writePrivateJsonFile } from './private-files.ts';

/** What `<dataDir>/credentials.json` holds (mode 0600). */
export interface Credentials {
  apiUrl: string;
  operatorKey: string;
  tenantId: string;
  adminKey: string;
  enrollmentKey: string;
}

/** The stack's own secrets (`<dataDir>/secrets.json`, 0600): the functions' master secret and the operator key. */
export interface LocalSecrets {
  masterSecret: string;
  operatorKey: string;
}

type CreateTenant = (name: string, now: Date) => Promise<{ tenant: { id: string }; adminKey: string; enrollmentKey: string }>;
type GetTenant = (tenantId: string) => Promise<unknown>;

/** Reads the secrets of an earlier start, or makes new ones. */
export async function loadOrCreateSecrets(file: string): Promise<LocalSecrets> {
  const existing = await readJsonFile<Partial<LocalSecrets>>(file);
  if (existing?.masterSecret && existing.masterSecret.length >= 32 && existing.operatorKey) {
    return { masterSecret: existing.masterSecret, operatorKey: existing.operatorKey };
  }
  const secrets: LocalSecrets = { masterSecret: newSecret(48), operatorKey: `dwo_${newSecret(32)}` };
  await writePrivateJsonFile(file, secrets);
  return secrets;
}

/**
 * The credentials of the first tenant: those of an earlier start while that tenant still exists (with
 * this start's apiUrl), else a new tenant created through the store, as CONTRACT.md's local stack says.
 */
export async function loadOrCreateCredentials(
  file: string,
  deps: { apiUrl: string; operatorKey: string; createTenant: CreateTenant; getTenant: GetTenant; log: LocalLog },
): Promise<Credentials> {
  const existing = await readJsonFile<Partial<Credentials>>(file);
  if (existing?.tenantId && existing.adminKey && existing.enrollmentKey) {
    if (await deps.getTenant(existing.tenantId)) {
      const credentials: Credentials = { ...(existing as Credentials), apiUrl: deps.apiUrl, operatorKey: deps.operatorKey };
      if (existing.apiUrl !== credentials.apiUrl || existing.operatorKey !== credentials.operatorKey) await writePrivateJsonFile(file, credentials);
      return credentials;
    }
    deps.log('warn', `tenant ${existing.tenantId} of ${file} no longer exists: creating a new one`);
  }
  const created = await deps.createTenant('Default', new Date());
  const credentials: Credentials = {
    apiUrl: deps.apiUrl,
    operatorKey: deps.operatorKey,
    tenantId: created.tenant.id,
    adminKey: created.adminKey,
    enrollmentKey: created.enrollmentKey,
  };
  await writePrivateJsonFile(file, credentials);
  return credentials;
}

/**
 * The local stand-in for the cloud's webhook key secret: key material that seals sync destinations' signing
 * secrets, generated on first start into `<dataDir>/webhook-key.json` (0600) and kept, so sealed secrets open
 * after a restart. Never part of credentials.json: nobody needs to see it.
 */
export async function loadOrCreateWebhookKey(file: string): Promise<string> {
  const existing = await readJsonFile<{ webhookSecretKey?: string }>(file);
  if (existing?.webhookSecretKey && existing.webhookSecretKey.length >= 32) return existing.webhookSecretKey;
  const webhookSecretKey = newSecret(32);
  await writePrivateJsonFile(file, { webhookSecretKey });
  return webhookSecretKey;
}
