import { LABEL_HISTORY_RETENTION, type LabelRetention } from '../domain/label-retention.ts';
import { listLabelRecords, type LabelRecordFilter } from '../store/label-history.ts';
import type { PageRequest } from '../store/db.ts';

/**
 * The label history as users see it at `now`: 30 days, the newest 1,000,000 records of the tenant, and
 * always the last 72 hours (Tanium's retention). `retention` is for tests of the cap.
 */
export function listLabelHistory(tenantId: string, filter: LabelRecordFilter, page: PageRequest, now: Date, retention: LabelRetention = LABEL_HISTORY_RETENTION) {
  return listLabelRecords(tenantId, filter, page, { now, retention });
}
