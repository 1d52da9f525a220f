// CLI: `kpi ingest` brings files into a deployment the way its sources do: each file is put in the
// landing zone (`landing/<dataset>/`) and the drop-zone connector runs on that dataset, so quarantine
// with reasons, batch manifests and exactly-once ingestion apply as they do on the schedule.
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import * as z from 'zod';
import { landingPrefix } from '../../contracts/raw-layout';
import { type CliCommand, UsageError } from '../command';
import { withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

/** What the connector reports per dataset; read leniently, so fields it adds later still show. */
const datasetReport = z
  .object({
    dataset: z.string(),
    failures: z.array(z.object({ key: z.string(), error: z.string() })).default([]),
    deferred: z.number().default(0),
  })
  .catchall(z.unknown());
const dropZoneReport = z.object({ datasets: z.array(datasetReport) });

/** Labels of the counts the connector reports, in the order they are printed. */
const FILE_COUNTS: Record<string, string> = {
  files: 'files',
  ingested: 'ingested',
  duplicates: 'duplicates (ingested before: nothing done)',
  unreadable: 'unreadable (quarantined whole)',
  busy: 'busy (another run has them)',
  failed: 'failed (left for the next run)',
  deferred: 'deferred (left for the next run)',
};
const ROW_COUNTS: Record<string, string> = {
  rowsRead: 'read',
  rowsValid: 'valid',
  rowsQuarantined: 'quarantined with their reasons',
  rowsDuplicate: 'duplicates',
};

/** At most this many connector runs for one command: each takes the files the previous one deferred. */
const MAX_RUNS = 10;

export const command: CliCommand = {
  name: 'ingest',
  summary: 'ingest files into a dataset of the deployment through its drop zone (quarantine, manifests, exactly once)',
  usage: `Usage: kpi ingest --dataset ID FILE...

Puts each FILE (CSV, NDJSON or a JSON array, gzip or not) in the landing zone of the deployment as
landing/<ID>/<file name> and runs the drop-zone connector on dataset ID, as its schedule does:
every row lands in raw (partitioned by event hour) or in quarantine with its reason, each file is
recorded in a batch manifest, and a file ingested before is a duplicate that changes nothing. Then
prints what the connector reported. The dataset is one the deployment declares (kpis/datasets, or
the folder \`npm start -- --data DIR\` ran with).

On AWS (--aws) the files are put in the landing bucket and the connector's schedule ingests them.

${DEPLOYMENT_USAGE}

  kpi ingest --dataset ad_performance exports/ads-2026-06.csv
  kpi ingest --dataset crm_leads leads-*.ndjson.gz`,
  async run(context) {
    const { values, positionals } = parseOptions(
      context.args,
      { ...DEPLOYMENT_OPTIONS, dataset: { type: 'string' } },
      true,
    );
    const dataset = values.dataset;
    if (!dataset) throw new UsageError('give --dataset ID: the dataset the files belong to');
    if (!/^[a-z][a-z0-9_]*$/.test(dataset)) throw new UsageError(`--dataset ${dataset} is not a dataset id`);
    if (positionals.length === 0) throw new UsageError('give the files to ingest');
    const files = positionals.map((file) => path.resolve(context.cwd, file));
    const names = new Map<string, string>();
    for (const [i, file] of files.entries()) {
      let stats: ReturnType<typeof statSync>;
      try {
        stats = statSync(file);
      } catch {
        throw new UsageError(`${positionals[i]}: no such file`);
      }
      if (!stats.isFile()) throw new UsageError(`${positionals[i]}: not a file`);
      const name = path.basename(file);
      const other = names.get(name);
      if (other) throw new UsageError(`${other} and ${positionals[i]} have the same name ${name} in the landing zone`);
      names.set(name, positionals[i] as string);
    }

    return withDeployment(values, context, async (deployment) => {
      const bucket = deployment.names.landingBucket;
      const keys: string[] = [];
      for (const file of files) {
        const key = `${landingPrefix(dataset)}${path.basename(file)}`;
        await new Upload({
          client: deployment.clients.s3,
          params: { Bucket: bucket, Key: key, Body: createReadStream(file) },
        }).done();
        keys.push(key);
      }
      context.stdout(
        `${dataset}: ${keys.length} file(s) put in s3://${bucket}/${landingPrefix(dataset)} on ${deployment.where}\n`,
      );
      const takeBack = async () => {
        for (const key of keys) await deployment.clients.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      };

      let failed = false;
      for (let run = 1; run <= MAX_RUNS; run += 1) {
        let raw: unknown;
        try {
          raw = await deployment.runDropZone([dataset]);
        } catch (error) {
          if (/unknown datasets/.test((error as Error).message)) {
            await takeBack();
            throw new UsageError(`${deployment.where} declares no dataset ${dataset}; the files were taken back`);
          }
          throw error;
        }
        if (raw === null) {
          context.stdout('the drop-zone connector ingests them on its schedule (see schedules.ingestDropZone)\n');
          return 0;
        }
        const report = dropZoneReport.parse(raw).datasets.find((d) => d.dataset === dataset);
        if (!report) {
          await takeBack();
          throw new UsageError(
            `dataset ${dataset} keeps no drop zone (ingestion.dropZone is off in its declaration); the files were taken back`,
          );
        }
        context.stdout(`${run === 1 ? 'drop-zone connector' : `drop-zone connector, run ${run}`}:\n`);
        context.stdout(`  files: ${counts(report, FILE_COUNTS)}\n`);
        const rows = counts(report, ROW_COUNTS);
        if (rows) context.stdout(`  rows:  ${rows}\n`);
        for (const failure of report.failures) context.stdout(`  ✗ ${failure.key}: ${failure.error}\n`);
        failed ||= report.failures.length > 0;
        if (report.deferred === 0) break;
      }
      return failed ? 1 : 0;
    });
  },
};

/** `12 files, 11 ingested, 1 duplicates (…)`: the counts present, known ones first, then any others. */
function counts(report: Record<string, unknown>, labels: Record<string, string>): string {
  const known = Object.entries(labels).flatMap(([key, label]) =>
    typeof report[key] === 'number' && (report[key] !== 0 || key === 'files' || key === 'rowsRead')
      ? [`${(report[key] as number).toLocaleString('en-US')} ${label}`]
      : [],
  );
  const others =
    labels === ROW_COUNTS
      ? Object.entries(report).flatMap(([key, value]) =>
          /^rows/.test(key) && !(key in labels) && typeof value === 'number' && value !== 0
            ? [`${value.toLocaleString('en-US')} ${key.replace(/^rows/, '').toLowerCase()}`]
            : [],
        )
      : [];
  return [...known, ...others].join(', ');
}
