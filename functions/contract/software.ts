/**
 * Software an agent can report at check-in (recommendations, CONTRACT "Additions"): the ids a policy
 * template's targets are recommended for. Plain TypeScript so the agent bundle carries it. The server
 * accepts ids it does not know (a newer agent may report more) and simply recommends nothing for them.
 */
export const SOFTWARE = ['sshd', 'sudo', 'cron', 'systemd', 'nginx', 'apache2', 'mysql', 'postgresql', 'docker'] as const;
export type Software = (typeof SOFTWARE)[number];

/** What each id stands for, for people reading a recommendation. */
export const SOFTWARE_NAMES: Record<Software, string> = {
  sshd: 'OpenSSH server',
  sudo: 'sudo',
  cron: 'cron',
  systemd: 'systemd',
  nginx: 'nginx',
  apache2: 'Apache HTTP Server',
  mysql: 'MySQL or MariaDB',
  postgresql: 'PostgreSQL',
  docker: 'Docker',
};

/** The shape of a reported id: lowercase, short (checked by the check-in schema). */
export const SOFTWARE_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
