// Report: one self-contained HTML file (data, styles, script and the ECharts library inlined) that
// opens from disk with no network. The page itself is report-page.ts; this validates its model.
import { type ReportModel, type ReportModelInput, reportModelSchema } from './model';
import { type ReportPageExtras, renderReportPage } from './report-page';

export { escapeHtml, type ReportPageExtras, scriptSafeJson } from './report-page';

/**
 * Renders the report. The model is validated first; everything the page shows comes from it and
 * is inserted as text, never as HTML (`extras.prelude` is the caller's own escaped HTML).
 */
export function renderReportHtml(input: ReportModelInput, extras: ReportPageExtras = {}): string {
  const model: ReportModel = reportModelSchema.parse(input);
  return renderReportPage(model, extras);
}
