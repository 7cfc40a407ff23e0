import { defineFunction } from '../shared/function-access.ts';

/** The schedule function (the minute tick): its entry and what it may touch (infra grants exactly this). */
export const scheduleFunction = defineFunction({
  name: 'schedule',
  entry: 'functions/schedule/schedule.handler.ts',
  tableAccess: ['GetItem', 'Query', 'UpdateItem'],
  // Pages of tenants and digests are read with signed cursors (store/cursor.ts).
  secrets: ['DRIFTWATCH_MASTER_SECRET'],
});
