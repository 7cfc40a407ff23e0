import type { InboxItem, ServerItem } from '../store/servers.ts';
import type { TenantItem } from '../store/tenants.ts';

/** A verified agent: its server (with its inbox) and tenant, as read once while checking its credential. */
export interface AgentIdentity {
  tenantId: string;
  server: ServerItem;
  inbox: InboxItem[];
  tenant: TenantItem;
}
