// CLI: `kpi dataset publish|history|diff|rollback|retire`: dataset declarations versioned like KPI
// definitions, in the same table and by the same store. Ingestion reads the version in force at run
// time, so a fixed mapping needs no redeploy; a version that a KPI in force could not be computed
// with is refused, naming the KPIs.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { storedDeclaration } from '../../adapters/aws/dataset-declarations';
import { DynamoDbRawCommitLog } from '../../adapters/aws/dynamodb-raw-commit-log';
import { S3IngestStore } from '../../adapters/aws/s3-ingest-store';
import { S3RawPartitions } from '../../adapters/aws/s3-raw-partitions';
import { nodeGunzip } from '../../adapters/gzip';
import { type LoadedDataset, loadDatasetCatalog, loadDatasetFile } from '../../adapters/local/dataset-files';
import { compileDataset, type DatasetDeclaration, humanDuration } from '../../domain/dataset';
import { describeDeclarationChangeLines, describeDeclarationChanges } from '../../domain/dataset/declaration-changes';
import { datasetsOfCalculation } from '../../domain/definition/schema';
import { DefinitionNotFoundError, DefinitionUnchangedError } from '../../domain/versioning/errors';
import type { FreshnessCheckReport } from '../../usecases/check-dataset-freshness';
import { type DeclarationImpact, declarationImpact, type ImpactDependencies } from '../../usecases/declaration-impact';
import {
  DeclarationBreaksKpisError,
  type DeclarationDependencies,
  kpisBrokenBy,
  publishDatasetDeclaration,
  rollbackDatasetDeclaration,
} from '../../usecases/publish-dataset-declaration';
import { type CliCommand, type CliContext, UsageError } from '../command';
import { authorOf, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE, type Deployment } from '../deployment';
import { displayPath } from '../format';
import { parseOptions } from '../options';

/** The declarations the deployment ships (lib/constructs/ingestion: `datasetsFolder`). */
const DEPLOYED_DATASETS_DIR = 'kpis/datasets';

const USAGE = `Usage: kpi dataset <publish|history|diff|rollback|retire|freshness> ...

Dataset declarations as versioned definitions, like KPIs: immutable versions with content hash,
author and reason, one version in force, a change log. Ingestion reads the version in force when it
runs (within a minute of a publish), so a fixed mapping needs no redeploy; a dataset never published
is read with the declaration the deployment ships. Every batch manifest records the version.

  kpi dataset publish --reason TEXT [--author NAME] PATH...
      Publishes each declaration under PATH (files or folders) as a new version. A version that a KPI
      in force could not be computed with (a field it reads removed or retyped, a filter value the
      field can no longer hold) is refused, naming the KPIs. Identical content is reported unchanged.
  kpi dataset history ID [--format table|json]
      Versions and the change log.
  kpi dataset diff ID [--from V] [--to V] [FILE] [--impact [--days N]] [--format table|json]
      What changed: fields added, removed or retyped, validation tightened or loosened, renames,
      defaults. Without FILE, version --from (default: the one before the version in force) against
      --to (default: the version in force); with FILE, the version in force against FILE, with the
      KPIs FILE would break. --impact reads the last N days (default 7) under the new declaration,
      writing nothing: the quarantined rows it would accept (as \`kpi replay\` would read them), the
      records in raw it would refuse, by reason with examples, and the KPIs and days that would move.
  kpi dataset rollback ID --to V --reason TEXT [--author NAME]
      Puts version V back in force (refused like a publish if it would break a KPI in force).
  kpi dataset retire ID --reason TEXT [--author NAME]
      Stops ingesting the dataset (refused while a KPI in force reads it); versions and history stay.
  kpi dataset freshness [--format table|json]
      Runs the freshness check now, as its schedule does: each dataset that declares \`freshness\`
      against its last committed arrival (fresh, warn, fail, never_arrived). Like a scheduled run, it
      writes the datasets' freshness records and notifies an owner whose dataset changed level.
      Exits 1 when a dataset is at fail.

${DEPLOYMENT_USAGE}

  kpi dataset publish --reason "bounced is absent when false since the tracking change" kpis/datasets/web_sessions.yaml
  kpi dataset diff web_sessions kpis/datasets/web_sessions.yaml
  kpi dataset rollback web_sessions --to 1 --reason "back to the known-good mapping"`;

export const command: CliCommand = {
  name: 'dataset',
  summary:
    'version dataset declarations: publish, history, diff, rollback, retire (ingestion reads the one in force); check their freshness',
  usage: USAGE,
  async run(context) {
    const [sub, ...rest] = context.args;
    const next = { ...context, args: rest };
    switch (sub) {
      case 'publish':
        return publish(next);
      case 'history':
        return history(next);
      case 'diff':
        return diff(next);
      case 'rollback':
        return rollback(next);
      case 'freshness':
        return freshness(next);
      case 'retire':
        return retire(next);
      default:
        throw new UsageError(
          sub === undefined
            ? 'give a subcommand: publish, history, diff, rollback, retire or freshness'
            : `unknown subcommand "${sub}"`,
        );
    }
  },
};

function dependencies(deployment: Deployment, deployed: ReadonlyMap<string, LoadedDataset>): DeclarationDependencies {
  return {
    store: deployment.datasets,
    kpis: deployment.definitions,
    deployed: (id) => deployed.get(id)?.declaration,
  };
}

/** The declarations the deployment ships, when this folder has them (the fallback before a first publish). */
async function deployedDatasets(context: CliContext): Promise<ReadonlyMap<string, LoadedDataset>> {
  const dir = path.resolve(context.cwd, DEPLOYED_DATASETS_DIR);
  return existsSync(dir) ? loadDatasetCatalog(dir) : new Map();
}

async function readDeclarations(context: CliContext, paths: readonly string[]): Promise<LoadedDataset[]> {
  const loaded: LoadedDataset[] = [];
  for (const given of paths) {
    const absolute = path.resolve(context.cwd, given);
    if (!existsSync(absolute)) throw new UsageError(`${given}: no such file or folder`);
    if (statSync(absolute).isDirectory()) loaded.push(...(await loadDatasetCatalog(absolute)).values());
    else loaded.push(await loadDatasetFile(absolute));
  }
  return loaded;
}

async function publish(context: CliContext): Promise<number> {
  const { values, positionals } = parseOptions(
    context.args,
    { ...DEPLOYMENT_OPTIONS, reason: { type: 'string' }, author: { type: 'string' } },
    true,
  );
  if (!values.reason) throw new UsageError('give --reason: every version records why it was published');
  if (positionals.length === 0) throw new UsageError('give the declaration files or folders to publish');
  const declarations = await readDeclarations(context, positionals);
  const by = { author: authorOf(values.author, context), reason: values.reason };
  const deployed = await deployedDatasets(context);
  return withDeployment(values, context, async (deployment) => {
    let refused = 0;
    for (const loaded of declarations) {
      const declaration = storedDeclaration(loaded.declaration);
      const id = declaration.id;
      try {
        const before = (await deployment.datasets.get(id))?.definition ?? deployed.get(id)?.declaration;
        const { published } = await publishDatasetDeclaration(dependencies(deployment, deployed), declaration, by);
        context.stdout(`${id}: published version ${published.version} (${published.hash.slice(0, 19)}…)\n`);
        if (before) {
          for (const line of describeDeclarationChangeLines(describeDeclarationChanges(before, declaration)))
            context.stdout(`  ${line}\n`);
        }
      } catch (error) {
        if (error instanceof DefinitionUnchangedError) {
          context.stdout(`${id}: unchanged (identical to version ${error.activeVersion} in force)\n`);
        } else if (error instanceof DeclarationBreaksKpisError) {
          refused += 1;
          context.stderr(`${displayPath(context.cwd, loaded.path)}: ${id} not published: it would break\n`);
          for (const kpi of error.broken) {
            for (const problem of kpi.problems) context.stderr(`  ${kpi.kpiId}: ${problem}\n`);
          }
        } else throw error;
      }
    }
    context.stdout(`on ${deployment.where}\n`);
    if (refused > 0) {
      context.stderr(`kpi dataset publish: ${refused} declaration(s) refused; change or retire the KPIs named first\n`);
      return 1;
    }
    return 0;
  });
}

async function history(context: CliContext): Promise<number> {
  const { values, positionals } = parseOptions(
    context.args,
    { ...DEPLOYMENT_OPTIONS, format: { type: 'string', default: 'table' } },
    true,
  );
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new UsageError('give one dataset id');
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format is table or json');
  return withDeployment(values, context, async (deployment) => {
    const state = await deployment.datasets.get(id);
    if (!state) throw new DefinitionNotFoundError(id);
    const [versions, changes] = await Promise.all([deployment.datasets.versions(id), deployment.datasets.history(id)]);
    if (values.format === 'json') {
      context.stdout(
        `${JSON.stringify(
          {
            id,
            status: state.status,
            activeVersion: state.version,
            owner: state.definition.owner,
            versions: versions.map(({ definition: _d, ...v }) => ({ ...v, publishedAt: iso(v.publishedAt) })),
            changes: changes.map((c) => ({ ...c, at: iso(c.at) })),
          },
          null,
          2,
        )}\n`,
      );
      return 0;
    }
    const declared = state.definition.freshness;
    const expected = declared
      ? `; freshness: expected every ${declared.expectedEvery}, warn after ${declared.warnAfter}, fail after ${declared.failAfter}`
      : '; no freshness declared';
    context.stdout(
      `${id}: ${state.status}, version ${state.version} in force of ${state.latestVersion}; owner ${state.definition.owner}${expected}\n\nVersions\n`,
    );
    for (const v of versions) {
      const marker = v.version === state.version ? '*' : ' ';
      context.stdout(
        `${marker} v${v.version}  ${iso(v.publishedAt)}  ${v.hash.slice(0, 19)}…  ${v.author}: ${v.reason}\n`,
      );
    }
    context.stdout('\nChanges\n');
    for (const c of changes) {
      const move = c.fromVersion === null ? `v${c.toVersion}` : `v${c.fromVersion} → v${c.toVersion}`;
      context.stdout(
        `  #${c.seq}  ${iso(c.at)}  ${c.action.padEnd(8)}  ${move.padEnd(10)}  ${c.author}: ${c.reason}\n`,
      );
    }
    return 0;
  });
}

async function freshness(context: CliContext): Promise<number> {
  const { values, positionals } = parseOptions(
    context.args,
    { ...DEPLOYMENT_OPTIONS, format: { type: 'string', default: 'table' } },
    true,
  );
  if (positionals.length > 0) throw new UsageError('kpi dataset freshness takes no dataset id: it checks them all');
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format is table or json');
  return withDeployment(values, context, async (deployment) => {
    const report = (await deployment.runFreshnessCheck()) as FreshnessCheckReport;
    if (values.format === 'json') {
      context.stdout(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    context.stdout(`Dataset freshness at ${report.at}\n`);
    for (const d of report.datasets) {
      const since =
        d.lastArrivalAt === null
          ? 'no batch committed yet'
          : `last batch ${iso(d.lastArrivalAt)}, ${humanDuration(d.silentMillis)} ago`;
      const told = d.noticesSent.length > 0 ? `  → ${d.owner} notified (${d.transition})` : '';
      context.stdout(`  ${d.dataset.padEnd(22)} ${d.status.padEnd(13)} ${since}   owner ${d.owner}${told}\n`);
    }
    if (report.unchecked.length > 0) {
      context.stdout(`  not checked (no freshness declared): ${report.unchecked.join(', ')}\n`);
    }
    return report.datasets.some((d) => d.level === 'fail') ? 1 : 0;
  });
}

async function diff(context: CliContext): Promise<number> {
  const { values, positionals } = parseOptions(
    context.args,
    {
      ...DEPLOYMENT_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'table' },
      impact: { type: 'boolean', default: false },
      days: { type: 'string', default: '7' },
    },
    true,
  );
  const [id, file] = positionals;
  const days = Number(values.days);
  if (!Number.isInteger(days) || days < 1 || days > 92) throw new UsageError('--days is 1 to 92');
  if (!id || positionals.length > 2) throw new UsageError('give a dataset id, and optionally a declaration file');
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format is table or json');
  const proposed = file
    ? storedDeclaration((await loadDatasetFile(path.resolve(context.cwd, file))).declaration)
    : null;
  if (proposed && proposed.id !== id) throw new UsageError(`${file} declares ${proposed.id}, not ${id}`);
  const deployed = await deployedDatasets(context);
  return withDeployment(values, context, async (deployment) => {
    const state = await deployment.datasets.get(id);
    const version = async (text: string | undefined, fallback: number) => {
      const n = text === undefined ? fallback : Number(text);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`version ${text} is not a version number`);
      return { label: `v${n}`, declaration: (await deployment.datasets.getVersion(id, n)).definition };
    };
    let before: { label: string; declaration: DatasetDeclaration | undefined };
    let after: { label: string; declaration: DatasetDeclaration };
    if (proposed) {
      before = state
        ? { label: `v${state.version} (in force)`, declaration: state.definition }
        : { label: 'the deployed declaration', declaration: deployed.get(id)?.declaration };
      after = { label: path.basename(file as string), declaration: proposed };
    } else {
      if (!state) throw new DefinitionNotFoundError(id);
      before = await version(values.from, Math.max(1, state.version - 1));
      after = await version(values.to, state.version);
    }
    const changes = before.declaration ? describeDeclarationChanges(before.declaration, after.declaration) : [];
    const broken = await kpisBrokenBy(deployment.definitions, before.declaration, after.declaration);
    const impact = values.impact
      ? await declarationImpact(
          { proposed: compileDataset(after.declaration), current: before.declaration, days, now: context.now() },
          impactDependencies(deployment),
        )
      : null;
    if (values.format === 'json') {
      context.stdout(
        `${JSON.stringify({ id, from: before.label, to: after.label, changes, breaks: broken, ...(impact ? { impact } : {}) }, null, 2)}\n`,
      );
      return 0;
    }
    context.stdout(`${id}: ${before.label} → ${after.label}\n`);
    if (!before.declaration) context.stdout('  (nothing to compare with: never published nor deployed)\n');
    else if (changes.length === 0) context.stdout('  no change\n');
    for (const line of describeDeclarationChangeLines(changes)) context.stdout(`  ${line}\n`);
    if (broken.length > 0) {
      context.stdout(`\nWould break ${broken.length} KPI(s) in force (publishing it is refused):\n`);
      for (const kpi of broken) for (const problem of kpi.problems) context.stdout(`  ${kpi.kpiId}: ${problem}\n`);
    }
    if (impact) printImpact(context, impact, after.label);
    return 0;
  });
}

function impactDependencies(deployment: Deployment): ImpactDependencies {
  const log = new DynamoDbRawCommitLog(deployment.clients.dynamodb, deployment.names.stateTable);
  return {
    log,
    store: new S3IngestStore(deployment.clients.s3, {
      raw: deployment.names.rawBucket,
      quarantine: deployment.names.quarantineBucket,
    }),
    gunzip: nodeGunzip,
    raw: new S3RawPartitions(deployment.clients.s3, deployment.names.rawBucket, log),
    kpis: deployment.definitions,
  };
}

function printImpact(context: CliContext, impact: DeclarationImpact, label: string): void {
  const total = (counts: Readonly<Record<string, number>>) => Object.values(counts).reduce((n, k) => n + k, 0);
  const list = (counts: Readonly<Record<string, number>>) =>
    Object.entries(counts)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
  context.stdout(
    `\nImpact of ${label} on ${impact.from.slice(0, 10)} to ${impact.to.slice(0, 10)} (exclusive; nothing written):\n`,
  );
  context.stdout(
    `  quarantined → valid: ${total(impact.quarantinedToValid)} of ${impact.quarantinedChecked}${total(impact.quarantinedToValid) > 0 ? ` (${list(impact.quarantinedToValid)})` : ''}\n`,
  );
  context.stdout(
    `  still quarantined:   ${total(impact.stillQuarantined)}${total(impact.stillQuarantined) > 0 ? ` (${list(impact.stillQuarantined)})` : ''}\n`,
  );
  context.stdout(
    `  valid → quarantined: ${total(impact.validToQuarantined)} of ${impact.recordsChecked} records${total(impact.validToQuarantined) > 0 ? ` (${list(impact.validToQuarantined)})` : ''}\n`,
  );
  for (const e of impact.examples) context.stdout(`    e.g. ${e.where}: ${e.from} → ${e.to}: ${e.row}\n`);
  if (impact.kpis.length === 0) context.stdout('  no KPI in force would change\n');
  for (const kpi of impact.kpis) context.stdout(`  ${kpi.kpiId} would change on ${kpi.days.join(', ')}\n`);
}

async function rollback(context: CliContext): Promise<number> {
  const { values, positionals } = parseOptions(
    context.args,
    { ...DEPLOYMENT_OPTIONS, to: { type: 'string' }, reason: { type: 'string' }, author: { type: 'string' } },
    true,
  );
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new UsageError('give one dataset id');
  const version = Number(values.to);
  if (!values.to || !Number.isInteger(version) || version < 1)
    throw new UsageError('give --to VERSION, a version number');
  if (!values.reason) throw new UsageError('give --reason: the change log records why');
  const by = { author: authorOf(values.author, context), reason: values.reason };
  const deployed = await deployedDatasets(context);
  return withDeployment(values, context, async (deployment) => {
    const change = await rollbackDatasetDeclaration(dependencies(deployment, deployed), id, version, by);
    context.stdout(
      `${id}: version ${change.toVersion} in force (was ${change.fromVersion}); ingestion reads it from its next run\n`,
    );
    return 0;
  });
}

async function retire(context: CliContext): Promise<number> {
  const { values, positionals } = parseOptions(
    context.args,
    { ...DEPLOYMENT_OPTIONS, reason: { type: 'string' }, author: { type: 'string' } },
    true,
  );
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new UsageError('give one dataset id');
  if (!values.reason) throw new UsageError('give --reason: the change log records why');
  const by = { author: authorOf(values.author, context), reason: values.reason };
  return withDeployment(values, context, async (deployment) => {
    const readers = (await deployment.definitions.list('active'))
      .filter((kpi) => datasetsOfCalculation(kpi.definition.calculation).includes(id))
      .map((kpi) => kpi.id)
      .sort();
    if (readers.length > 0) {
      throw new DeclarationBreaksKpisError(
        id,
        readers.map((kpiId) => ({ kpiId, problems: [`reads ${id}, which would no longer be ingested`] })),
      );
    }
    const change = await deployment.datasets.retire(id, by);
    context.stdout(`${id}: retired at version ${change.toVersion}; ingestion no longer reads it\n`);
    return 0;
  });
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
