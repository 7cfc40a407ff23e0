import { handle } from 'hono/aws-lambda';
import { app } from './app.ts';

/** API Gateway HTTP API (payload v2) entry of the API function. */
export const handler = handle(app);
