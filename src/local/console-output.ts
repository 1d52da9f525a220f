// Local runtime: what `npm start` prints. Colours only on a terminal that wants them (NO_COLOR,
// FORCE_COLOR and non-TTY output are respected), so logs and CI output stay plain.

const useColor = (): boolean => {
  if (process.env.NO_COLOR !== undefined) return false;
  if (process.env.FORCE_COLOR !== undefined) return process.env.FORCE_COLOR !== '0';
  return Boolean(process.stdout.isTTY);
};

const CODES = { green: 32, yellow: 33, orange: '38;5;208', red: 31, grey: 90, bold: 1, cyan: 36, magenta: 35 } as const;
export type Color = keyof typeof CODES;

export function paint(text: string, color: Color): string {
  return useColor() ? `\u001b[${CODES[color]}m${text}\u001b[0m` : text;
}

/** A status word in its colour: green, yellow, at risk (orange), red; grey for insufficient data and the rest. */
export function paintStatus(status: string): string {
  const colors: Record<string, Color> = { green: 'green', yellow: 'yellow', at_risk: 'orange', red: 'red' };
  const color: Color = colors[status] ?? 'grey';
  return paint(status.replace(/_/g, ' '), color);
}

const ANSI_COLOR = new RegExp(`${String.fromCharCode(27)}\\[[\\d;]+m`, 'g');

/** The text without colour codes. */
export const stripColors = (text: string): string => text.replace(ANSI_COLOR, '');

const visibleLength = (text: string): number => stripColors(text).length;

/** A plain-text table: a header row, a rule, then the rows; numbers right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+( ?[%a-z]+)?$|^—$/.test((r[i] ?? '').trim())),
  );
  const pad = (cell: string, i: number) => {
    const gap = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(cell)));
    return numeric[i] ? gap + cell : cell + gap;
  };
  return [
    header.map((h, i) => pad(paint(h, 'bold'), i)).join('  '),
    widths.map((w) => '─'.repeat(w)).join('  '),
    ...rows.map((r) => header.map((_, i) => pad(r[i] ?? '', i)).join('  ')),
  ].join('\n');
}

/** Prints the heading of a stage of the run. */
export function stage(title: string): void {
  console.log(`\n${paint('▶', 'cyan')} ${paint(title, 'bold')}`);
}

/** Prints one indented line under the current stage. */
export function detail(text: string): void {
  console.log(`  ${text}`);
}

/**
 * Progress through the KPIs of a stage: on a terminal, one bar with counts rewritten in place; in a
 * log, a line per KPI.
 */
export function progressPrinter(unit = 'KPIs'): (done: number, total: number, what: string) => void {
  const tty = Boolean(process.stdout.isTTY);
  return (done, total, what) => {
    const width = 20;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const counts = `${String(done).padStart(String(total).length)}/${total} ${unit}`;
    if (tty) {
      const columns = process.stdout.columns ?? 100;
      const line = `  [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${counts}  ${what}`;
      process.stdout.write(`\r\u001b[2K${line.slice(0, columns - 1)}${done === total ? '\n' : ''}`);
    } else {
      console.log(`    [${counts}] ${what}`);
    }
  };
}
