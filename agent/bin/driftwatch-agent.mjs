#!/usr/bin/env node
// Runs the agent from its TypeScript sources (in the repo: `npx driftwatch-agent ...`).
// Deployed hosts run the bundle instead: `npm run build` writes dist/driftwatch-agent.mjs.
import { tsImport } from 'tsx/esm/api';

await tsImport('../main.ts', import.meta.url);
