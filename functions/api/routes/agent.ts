import { newRouter } from '../router.ts';
import { agentEnrollRoutes } from './agent-enroll.ts';
import { agentCheckInRoutes } from './agent-check-in.ts';
import { agentScanRoutes } from './agent-scans.ts';

/** The agent protocol (docs/protocol.md): enroll, check in, and the scan upload steps. */
export const agentRoutes = newRouter();
agentRoutes.route('/', agentEnrollRoutes);
agentRoutes.route('/', agentCheckInRoutes);
agentRoutes.route('/', agentScanRoutes);
