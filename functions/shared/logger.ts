import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs (Powertools). Never log credentials or request bodies. */
export const logger = new Logger({
  serviceName: 'driftwatch',
  logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
});
