// Domain (evaluate): a proposal's evidence and impact in words, for approvers, reviewers and the
// change log.
import type { ImpactSummary } from '../impact';
import type { CalibrationEvidence } from './propose';
import type { Thresholds } from './sample';

const n = (value: number) => Number(value.toPrecision(4)).toString();

/** `green 0.02, yellow 0.05`, or `green 4 to 6, yellow 2 to 8`. */
export function describeThresholds(thresholds: Thresholds): string {
  const side = (t: number | { min: number; max: number }) =>
    typeof t === 'number' ? n(t) : `${n(t.min)} to ${n(t.max)}`;
  return `green ${side(thresholds.green)}, yellow ${side(thresholds.yellow)}`;
}

function describeMethod(method: CalibrationEvidence['method']): string {
  return method.type === 'quantiles'
    ? `historical quantiles (${Math.round(method.green * 100)} % green, ${Math.round(method.yellow * 100)} % green or yellow)`
    : `robust control limits (median ± ${method.green} and ${method.yellow} robust SD)`;
}

/** The evidence and impact, one line each. */
export function evidenceLines(evidence: CalibrationEvidence | null, impact: ImpactSummary | null): string[] {
  const lines: string[] = [];
  if (evidence) {
    const d = evidence.distribution;
    const left = evidence.excluded.provisional + evidence.excluded.insufficient + evidence.excluded.annotated;
    lines.push(
      `Method: ${describeMethod(evidence.method)}${evidence.seasonality === 'none' ? '' : `, seasons ${evidence.seasonality}`}, over ${evidence.lookback.periods} periods from ${evidence.lookback.from.slice(0, 10)} to ${evidence.lookback.to.slice(0, 10)}: ${evidence.used} used, ${left} left out (${evidence.excluded.provisional} provisional, ${evidence.excluded.insufficient} insufficient, ${evidence.excluded.annotated} annotated)`,
      `Distribution: min ${n(d.min)}, p10 ${n(d.p10)}, p25 ${n(d.p25)}, median ${n(d.median)}, p75 ${n(d.p75)}, p90 ${n(d.p90)}, max ${n(d.max)}${evidence.scale === null ? '' : `; measured from ${n(evidence.center)}, robust SD ${n(evidence.scale)}`}`,
      `Thresholds: ${describeThresholds(evidence.current)} → ${describeThresholds(evidence.proposed)}${evidence.bounded.length > 0 ? ` (bounds: ${evidence.bounded.join('; ')})` : ''}`,
      `Statuses over the periods used: now ${counts(evidence.statusCounts.current)}; proposed ${counts(evidence.statusCounts.proposed)}`,
    );
  }
  if (impact) {
    lines.push(
      `Impact on ${impact.periods} stored periods${impact.from ? ` (${impact.from.slice(0, 10)} to ${impact.to?.slice(0, 10)})` : ''}: ${impact.statusChanges} change status, ${impact.violationsAppeared} violations would appear, ${impact.violationsDisappeared} disappear`,
    );
  }
  return lines;
}

/** The evidence in one line of at most 500 characters, as the change log keeps it. */
export function evidenceSummary(evidence: CalibrationEvidence | null, impact: ImpactSummary | null): string | null {
  const lines = evidenceLines(evidence, impact);
  if (lines.length === 0) return null;
  const text = lines.join('; ');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

function counts(c: { green: number; yellow: number; red: number }): string {
  return `${c.green} green, ${c.yellow} yellow, ${c.red} red`;
}
