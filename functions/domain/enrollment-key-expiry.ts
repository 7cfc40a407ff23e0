/** What the expiry of a tenant's enrollment key depends on (a subset of the tenant item). */
export interface EnrollmentKeyAge {
  createdAt: string;
  /** Absent on tenants made before it was recorded: their key counts from the tenant's creation. */
  enrollmentKeyIssuedAt?: string | undefined;
  settings: { enrollmentKeyMaxAgeDays?: number | null | undefined };
}

const DAY_MS = 86_400_000;

/**
 * When the tenant's current enrollment key stops working, or null when it works until rotated (the
 * default). An enrollment key is a shared secret that tends to end up in images and wikis; a maximum age
 * makes a forgotten one stop by itself.
 */
export function enrollmentKeyExpiresAt(tenant: EnrollmentKeyAge): string | null {
  const days = tenant.settings.enrollmentKeyMaxAgeDays;
  if (days === null || days === undefined) return null;
  return new Date(Date.parse(tenant.enrollmentKeyIssuedAt ?? tenant.createdAt) + days * DAY_MS).toISOString();
}

/** Whether the tenant's current enrollment key has expired at `now`. */
export function enrollmentKeyExpired(tenant: EnrollmentKeyAge, now: Date): boolean {
  const expiresAt = enrollmentKeyExpiresAt(tenant);
  return expiresAt !== null && now.getTime() >= Date.parse(expiresAt);
}
