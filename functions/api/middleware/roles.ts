import type { Role } from '../../store/api-keys.ts';

/**
 * Which role each tenant route needs: the first rule whose method and path pattern match wins.
 * One table, so a reviewer sees every exception to "GET = read-only, write = author" in one place.
 */
interface RoleRule {
  methods: readonly string[] | '*';
  path: RegExp;
  role: Role;
}

const RULES: readonly RoleRule[] = [
  // Secrets and tenant-wide settings: admin only, even to read.
  { methods: '*', path: /^\/v1\/api-keys(\/|$)/, role: 'admin' },
  { methods: '*', path: /^\/v1\/enrollment-key(\/|$)/, role: 'admin' },
  { methods: '*', path: /^\/v1\/settings$/, role: 'admin' },
  { methods: ['DELETE'], path: /^\/v1\/servers\/[^/]+$/, role: 'admin' },
  { methods: ['DELETE'], path: /^\/v1\/(rules|labels)\/[^/]+$/, role: 'admin' },
  // Triage: users label events and push labeled events to the SIEM.
  { methods: ['POST'], path: /^\/v1\/events\/labels$/, role: 'user' },
  { methods: ['DELETE'], path: /^\/v1\/events\/[^/]+\/labels\/[^/]+$/, role: 'user' },
  { methods: ['POST'], path: /^\/v1\/sync-destinations\/[^/]+\/send-now$/, role: 'user' },
  // Defaults.
  { methods: ['GET', 'HEAD'], path: /^\/v1\//, role: 'read-only' },
  { methods: '*', path: /^\/v1\//, role: 'author' },
];

const RANK: Record<Role, number> = { 'read-only': 0, user: 1, author: 2, admin: 3 };

export function requiredRole(method: string, path: string): Role {
  const rule = RULES.find((r) => (r.methods === '*' || r.methods.includes(method)) && r.path.test(path));
  return rule?.role ?? 'admin';
}

export function roleAllows(held: Role, needed: Role): boolean {
  return RANK[held] >= RANK[needed];
}
