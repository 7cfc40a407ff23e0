/**
 * How many open scans (requested, not yet delivered: the entries of a server's inbox) one server may
 * hold. Its agent runs them one after another at its next check-in, and the check-in answer lists them
 * all, so without a bound a compromised agent (or a script) could grow both without end. A healthy
 * server has a few: the scheduled one, one requested by a user, its own on-demand or real-time scan.
 */
export const MAX_OPEN_SCANS = 32;
