// CLI: `kpi compute` computes KPI values from local files, with no AWS and no emulator (DESIGN.md contract).
import path from 'node:path';
import { definitionsNotFitting } from '../../adapters/files/definition-fit';
import { loadDatasetCatalog } from '../../adapters/local/dataset-files';
import { fileRecordSource } from '../../adapters/local/dataset-record-source';
import { readDefinitionFiles } from '../../contracts/kpi-definition-files';
import { type DefinitionError, formatIssue } from '../../domain/definition/errors';
import { compileKpi } from '../../domain/engine/kpi';
import { ValidationError } from '../../domain/errors';
import type { QuarantinedRow } from '../../domain/records';
import { roundForUnit } from '../../domain/values/precision';
import { SAMPLE_DATA_DIR } from '../../sample/files';
import { computeKpiValues } from '../../usecases/compute-kpi-values';
import { type CliCommand, type CliContext, UsageError } from '../command';
import { displayPath, kpiTable } from '../format';
import { parseOptions } from '../options';

const EXAMPLES_PER_DATASET = 3;

/** `2026-06-01` or an ISO-8601 instant with a zone, as epoch ms. */
function parseInstant(text: string, option: string): number {
  const value = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Date.parse(text);
  if (Number.isNaN(value) || !/^\d{4}-\d{2}-\d{2}(T.*(Z|[+-]\d{2}:\d{2}))?$/.test(text)) {
    throw new UsageError(`--${option} ${text} is not a date (YYYY-MM-DD) or an ISO-8601 instant with a zone`);
  }
  return value;
}

/** `--input DATASET=PATH`, repeatable (several paths or globs for one dataset add up). */
function parseInputs(inputs: readonly string[], cwd: string): Map<string, string[]> {
  const overrides = new Map<string, string[]>();
  for (const input of inputs) {
    const match = /^([a-z][a-z0-9_]*)=(.+)$/.exec(input);
    if (!match) throw new UsageError(`--input ${input} must be DATASET=PATH`);
    const [, dataset, file] = match as unknown as [string, string, string];
    overrides.set(dataset, [...(overrides.get(dataset) ?? []), path.resolve(cwd, file)]);
  }
  return overrides;
}

function reportDefinitionErrors(context: CliContext, errors: readonly DefinitionError[]): void {
  for (const error of errors) {
    const shown = displayPath(context.cwd, error.file);
    for (const issue of error.issues) {
      context.stderr(
        `${issue.line === undefined ? shown : `${shown}:${issue.line}`}: ${formatIssue({ ...issue, line: undefined })}\n`,
      );
    }
  }
}

/** The command's options, checked: both folders given, dates that parse, `--from` before `--to`. */
function computeOptions(context: CliContext) {
  const { values } = parseOptions(context.args, {
    definitions: { type: 'string' },
    datasets: { type: 'string' },
    input: { type: 'string', multiple: true },
    kpi: { type: 'string', multiple: true },
    from: { type: 'string' },
    to: { type: 'string' },
    'as-of': { type: 'string' },
    format: { type: 'string' },
  });
  if (values.definitions === undefined) throw new UsageError('--definitions DIR is required');
  if (values.datasets === undefined) throw new UsageError('--datasets DIR is required');
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json') throw new UsageError('--format must be table or json');
  const from = values.from === undefined ? undefined : parseInstant(values.from, 'from');
  const to = values.to === undefined ? undefined : parseInstant(values.to, 'to');
  if (from !== undefined && to !== undefined && from >= to) throw new UsageError('--from must be before --to');
  return {
    definitionsDir: values.definitions,
    datasetsDir: values.datasets,
    kpis: values.kpi ?? [],
    format,
    from,
    to,
    asOf: values['as-of'] === undefined ? context.now() : parseInstant(values['as-of'], 'as-of'),
    overrides: parseInputs(values.input ?? [], context.cwd),
  } as const;
}

type Computed = Awaited<ReturnType<typeof computeKpiValues>>;

/** What each dataset read gave: counts, quarantine reasons with a few examples, warnings. */
function reportReads(context: CliContext, reads: Computed['reads'], examples: Map<string, QuarantinedRow[]>): void {
  for (const read of reads) {
    const { counts } = read;
    const reasons = Object.entries(counts.quarantinedByReason)
      .sort((a, b) => b[1] - a[1])
      .map(([reason, count]) => `${reason} ${count}`)
      .join(', ');
    context.stderr(
      `read ${read.dataset}: ${counts.read} rows, ${counts.valid} valid, ${counts.quarantined} quarantined${reasons ? ` (${reasons})` : ''}${read.duplicates > 0 ? `, ${read.duplicates} duplicate (key seen before that day)` : ''}\n`,
    );
    for (const row of examples.get(read.dataset) ?? []) {
      const where = `${displayPath(context.cwd, row.file)}:${row.line}`;
      context.stderr(`  quarantined ${where}${row.field ? ` ${row.field}` : ''}: ${row.reason}\n`);
    }
    for (const warning of read.warnings ?? []) context.stderr(`  warning ${warning.code}: ${warning.message}\n`);
  }
}

/** The records each KPI could not use, by part and reason. */
function reportSkipped(context: CliContext, results: Computed['results']): void {
  for (const { kpi, computation } of results) {
    for (const [part, reasons] of Object.entries(computation.skipped)) {
      const detail = Object.entries(reasons)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(', ');
      context.stderr(`skipped ${kpi.definition.id} (${part}): ${detail}\n`);
    }
  }
}

function printValues(context: CliContext, format: 'table' | 'json', results: Computed['results']): void {
  if (format === 'table') {
    context.stdout(results.map(({ kpi, computation }) => kpiTable(kpi.definition, computation.values)).join('\n'));
    return;
  }
  context.stdout(
    `${JSON.stringify(
      // Values in their unit's precision (money to the cent, no floating-point noise).
      results.flatMap(({ kpi, computation }) =>
        computation.values.map((value) => ({ ...value, value: roundForUnit(value.value, kpi.definition) })),
      ),
      null,
      2,
    )}\n`,
  );
}

export const command: CliCommand = {
  name: 'compute',
  summary: 'compute KPI values from local files (no AWS, no emulator)',
  usage: `Usage: kpi compute --definitions DIR --datasets DIR [options]

Computes every KPI definition under --definitions over the datasets declared under --datasets, reading
the files each declaration names (or the ones given with --input), and prints the values: a table by
default, a JSON array with --format json. Quarantined rows and records the engine could not use are
reported on stderr with their counts.

  --definitions DIR       folder (or file) of KPI definitions
  --datasets DIR          folder of dataset declarations
  --input DATASET=PATH    read DATASET from PATH (a file or glob) instead; repeatable
  --kpi ID                compute only this KPI; repeatable
  --from DATE             first period to report (YYYY-MM-DD or ISO-8601 instant, UTC)
  --to DATE               report periods starting before this instant (exclusive)
  --as-of INSTANT         compute as of this instant: later periods are provisional (default: now)
  --format table|json     output format (default table)

Example:
  kpi sample && kpi compute --definitions kpis/definitions --datasets kpis/datasets --kpi ctr --format json`,
  async run(context) {
    const options = computeOptions(context);
    const { definitions, errors } = readDefinitionFiles([path.resolve(context.cwd, options.definitionsDir)]);
    if (errors.length > 0) {
      reportDefinitionErrors(context, errors);
      context.stderr(`kpi compute: ${errors.length} invalid definition file(s); nothing computed\n`);
      return 1;
    }
    const wanted = new Set(options.kpis);
    const unknown = [...wanted].filter((id) => !definitions.some((d) => d.definition.id === id));
    if (unknown.length > 0) throw new UsageError(`no definition with id ${unknown.join(', ')}`);
    const selected = definitions.filter((d) => wanted.size === 0 || wanted.has(d.definition.id));

    const catalog = await loadDatasetCatalog(path.resolve(context.cwd, options.datasetsDir));
    for (const dataset of options.overrides.keys()) {
      if (!catalog.has(dataset)) throw new UsageError(`--input ${dataset}=...: no declaration of dataset ${dataset}`);
    }
    const fieldErrors = definitionsNotFitting(selected, catalog);
    if (fieldErrors.length > 0) {
      reportDefinitionErrors(context, fieldErrors);
      context.stderr(`kpi compute: ${fieldErrors.length} definition(s) do not fit their datasets; nothing computed\n`);
      return 1;
    }

    const examples = new Map<string, QuarantinedRow[]>();
    const { results, reads } = await computeKpiValues({
      kpis: selected.map(({ definition }) => compileKpi(definition)),
      source: fileRecordSource(catalog, options.overrides, context.now()),
      asOf: options.asOf,
      ...(options.from === undefined ? {} : { from: options.from }),
      ...(options.to === undefined ? {} : { to: options.to }),
      onQuarantined: (row) => {
        const list = examples.get(row.dataset) ?? [];
        if (list.length < EXAMPLES_PER_DATASET) examples.set(row.dataset, [...list, row]);
      },
    }).catch((error: unknown) => {
      // The default pack reads the generated sample: say how to make it.
      if (error instanceof ValidationError && error.message.includes(SAMPLE_DATA_DIR)) {
        throw new ValidationError(`${error.message}; run \`kpi sample\` to write the sample data`, { cause: error });
      }
      throw error;
    });
    reportReads(context, reads, examples);
    reportSkipped(context, results);
    printValues(context, options.format, results);
    return 0;
  },
};
