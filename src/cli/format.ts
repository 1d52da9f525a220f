// CLI: formatting for people: file paths, periods by grain, values by unit, a plain-text table.
import path from 'node:path';
import type { Grain, KpiDefinition } from '../domain/definition/schema';
import type { KpiValue } from '../domain/engine/value';

/**
 * A file as people can find it: relative to the working folder when that is shorter, else as
 * absolute (a file elsewhere reads `/data/leads.csv`, not `../../../data/leads.csv`).
 */
export function displayPath(cwd: string, file: string): string {
  const absolute = path.resolve(cwd, file);
  const relative = path.relative(cwd, absolute);
  return relative !== '' && relative.length <= absolute.length ? relative : absolute;
}

/** A period as people name it: `2026-06-01`, `2026-06-01 14:00`, `2026-W23`, `2026-06`, `2026-Q3`, `2026`, `all time`. */
export function periodLabel(periodStart: string, grain: Grain): string {
  const date = new Date(periodStart);
  switch (grain) {
    case 'minute':
    case 'hour':
      return `${periodStart.slice(0, 10)} ${periodStart.slice(11, 16)}`;
    case 'day':
      return periodStart.slice(0, 10);
    case 'week': {
      // ISO 8601: a week belongs to the year of its Thursday, and is numbered from that year's first one.
      const thursday = new Date(date.getTime() + 3 * 86_400_000);
      const year = thursday.getUTCFullYear();
      const ordinal = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / 86_400_000);
      return `${year}-W${String(Math.floor(ordinal / 7) + 1).padStart(2, '0')}`;
    }
    case 'month':
      return periodStart.slice(0, 7);
    case 'quarter':
      return `${date.getUTCFullYear()}-Q${Math.floor(date.getUTCMonth() / 3) + 1}`;
    case 'year':
      return String(date.getUTCFullYear());
    case 'all_time':
      return 'all time';
  }
}

function significant(value: number, digits: number): string {
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, Math.min(6, digits - 1 - magnitude));
  return value.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: decimals });
}

/** A value in the definition's unit: `4.21 %`, `1,250.00 USD`, `212.5 s`, `12`. */
export function formatValue(value: number | null, definition: Pick<KpiDefinition, 'unit' | 'currency'>): string {
  if (value === null) return '—';
  switch (definition.unit) {
    case 'percent':
      return `${significant(value * 100, 3)} %`;
    case 'currency':
      return `${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${definition.currency ?? ''}`.trim();
    case 'count':
      return Number.isInteger(value) ? value.toLocaleString('en-US') : significant(value, 4);
    case 'milliseconds':
      return `${significant(value, 4)} ms`;
    case 'seconds':
      return `${significant(value, 4)} s`;
    case 'minutes':
      return `${significant(value, 4)} min`;
    case 'hours':
      return `${significant(value, 4)} h`;
    case 'days':
      return `${significant(value, 4)} d`;
    default:
      return significant(value, 4);
  }
}

/** The target in words with its unit, e.g. `≤ 300 s (p95 under 5 minutes)`. */
export function formatTarget(definition: KpiDefinition): string {
  const target = definition.target;
  const value =
    target.direction === 'within_band'
      ? `${formatValue(target.value.min, definition)} … ${formatValue(target.value.max, definition)}`
      : `${target.direction === 'higher_is_better' ? '≥' : '≤'} ${formatValue(target.value, definition)}`;
  return `${value} (${target.description})`;
}

const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[\\d;]+m`, 'g');

/** Left-aligned text columns, numbers right-aligned, two spaces apart. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rightAligned: ReadonlySet<number>,
): string {
  // Widths count what shows: a cell may be coloured (ANSI codes take no room).
  const shown = (cell: string) => cell.replace(ANSI_COLOR, '').length;
  const widths = header.map((title, column) => Math.max(shown(title), ...rows.map((row) => shown(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        const gap = ' '.repeat(Math.max(0, (widths[column] as number) - shown(cell)));
        return rightAligned.has(column) ? gap + cell : cell + gap;
      })
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '─'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The values of one KPI as a table with a title line. */
export function kpiTable(definition: KpiDefinition, values: readonly KpiValue[]): string {
  const names = definition.dimensions.map((d) => (typeof d === 'string' ? d : d.name));
  const header = ['period', ...names, 'value', 'status', 'sample', 'note'];
  const rows = values.map((value) => {
    const overall = Object.keys(value.dimensions).length === 0;
    const dims = names.map((name) => {
      if (overall) return '(all)';
      const v = value.dimensions[name];
      return v === null || v === undefined ? '(missing)' : String(v);
    });
    const note = [value.provisional ? 'provisional' : '', value.reason ?? ''].filter(Boolean).join('; ');
    return [
      periodLabel(value.periodStart, value.grain),
      ...dims,
      formatValue(value.value, definition),
      value.status,
      value.sampleSize.toLocaleString('en-US'),
      note,
    ];
  });
  const title = `${definition.id} — ${definition.name} (${definition.category}, per ${definition.grain}; target ${formatTarget(definition)})`;
  const rightAligned = new Set([names.length + 1, names.length + 3]);
  return `${title}\n${table(header, rows, rightAligned)}\n`;
}
