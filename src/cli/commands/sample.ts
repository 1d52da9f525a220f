// CLI: `kpi sample` writes the seeded sample data that the default KPI pack's dataset declarations read.
import path from 'node:path';
import { PLANTED_ANOMALIES } from '../../sample/calendar';
import { SAMPLE_DATA_DIR, writeSampleFiles } from '../../sample/files';
import { DEFAULT_SAMPLE, generateSampleData } from '../../sample/generate';
import { type CliCommand, UsageError } from '../command';
import { displayPath } from '../format';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'sample',
  summary: 'write the seeded sample data (agent telemetry, ads, CRM, web, content, pipeline) as files',
  usage: `Usage: kpi sample [--out DIR] [--seed N] [--start YYYY-MM-DD] [--days N]

Writes a deterministic sample of every dataset the default KPI pack reads (kpis/datasets), with
planted anomalies so that every status and drift shows up. The same options always write the same
bytes.

  --out DIR      folder to write to  (default ${SAMPLE_DATA_DIR}, where kpis/datasets looks)
  --seed N       random seed         (default ${DEFAULT_SAMPLE.seed})
  --start DATE   first day, UTC      (default ${DEFAULT_SAMPLE.start})
  --days N       number of days      (default ${DEFAULT_SAMPLE.days})

Then: kpi compute --definitions kpis/definitions --datasets kpis/datasets`,
  async run(context) {
    const { values } = parseOptions(context.args, {
      out: { type: 'string' },
      seed: { type: 'string' },
      start: { type: 'string' },
      days: { type: 'string' },
    });
    const integer = (name: string, text: string | undefined, fallback: number, min: number) => {
      if (text === undefined) return fallback;
      const value = Number(text);
      if (!Number.isInteger(value) || value < min)
        throw new UsageError(`--${name} must be an integer of at least ${min}`);
      return value;
    };
    const start = values.start ?? DEFAULT_SAMPLE.start;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(Date.parse(start))) {
      throw new UsageError('--start must be a date, YYYY-MM-DD');
    }
    const options = {
      seed: integer('seed', values.seed, DEFAULT_SAMPLE.seed, 0),
      start,
      days: integer('days', values.days, DEFAULT_SAMPLE.days, 1),
    };
    const dir = path.resolve(context.cwd, values.out ?? SAMPLE_DATA_DIR);
    const written = await writeSampleFiles(dir, generateSampleData(options));
    for (const { file, records } of written) {
      context.stdout(`${String(records).padStart(8)}  ${displayPath(context.cwd, file)}\n`);
    }
    context.stdout(
      `seed ${options.seed}, ${options.days} days from ${options.start}; planted anomalies: ${PLANTED_ANOMALIES.map((a) => a.id).join(', ')}\n`,
    );
    return 0;
  },
};
