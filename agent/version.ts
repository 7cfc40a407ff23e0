/** Reported on enroll and every check-in; bump with package.json's version. */
export const AGENT_VERSION = '0.1.0';
