// CLI: what the definition commands share: who changes a definition, the cadence of a definition,
// and one place that opens the deployment and always closes it.
import { execFileSync } from 'node:child_process';
import { DynamoDbRawCommitLog } from '../adapters/aws/dynamodb-raw-commit-log';
import { S3RawPartitions } from '../adapters/aws/s3-raw-partitions';
import type { KpiDefinition } from '../domain/definition/schema';
import { isoTime } from '../domain/engine/time';
import { findEmptyInputs } from '../usecases/find-empty-inputs';
import { type CliContext, UsageError } from './command';
import { type Deployment, type DeploymentOptions, openDeployment } from './deployment';

/**
 * Who signs a change (it goes to the change log or the audit trail): --author (or --operator), else
 * KPI_AUTHOR, else git's user.email (or user.name) for the working folder, else the login name.
 *
 * @throws UsageError when none of them says
 */
export function authorOf(option: string | undefined, context: CliContext, flag = '--author'): string {
  const who =
    option?.trim() ||
    context.env.KPI_AUTHOR?.trim() ||
    gitIdentity(context) ||
    context.env.USER?.trim() ||
    context.env.USERNAME?.trim();
  if (!who) {
    throw new UsageError(
      `say who makes this change: ${flag} NAME (or set git config user.email, KPI_AUTHOR or USER); it is recorded`,
    );
  }
  return who;
}

/** `git config user.email`, else `user.name`, as git sees them from the working folder. */
function gitIdentity(context: CliContext): string | undefined {
  for (const key of ['user.email', 'user.name']) {
    try {
      const value = execFileSync('git', ['config', '--get', key], {
        cwd: context.cwd,
        env: { ...process.env, ...context.env },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        timeout: 5000,
      }).trim();
      if (value) return value;
    } catch {
      // not set, or no git here
    }
  }
  return undefined;
}

export const cadenceOf = (definition: KpiDefinition) => definition.cadence;

/** Opens the deployment, runs `work`, and closes the deployment whatever happens. */
export async function withDeployment<T>(
  options: DeploymentOptions,
  context: CliContext,
  work: (deployment: Deployment) => Promise<T>,
): Promise<T> {
  const deployment = await openDeployment(options, context);
  try {
    return await work(deployment);
  } finally {
    await deployment.close();
  }
}

/** `2026-06-01` or an ISO-8601 instant with a zone, as epoch ms; null when it is neither. */
export function instantOf(text: string): number | null {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return Date.parse(`${text}T00:00:00Z`);
  if (/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(text) && !Number.isNaN(Date.parse(text)))
    return Date.parse(text);
  return null;
}

/**
 * Warns on stderr about each dataset `definition` reads that has no raw partition for the periods
 * in `[from, to)` on the deployment: those periods can only come out insufficient_data.
 */
export async function warnEmptyInputs(
  deployment: Deployment,
  definition: KpiDefinition,
  from: number,
  to: number,
  context: CliContext,
  /** What to do once the data is in, e.g. `then run this backfill again with --force`. */
  then?: string,
): Promise<number> {
  const empty = await findEmptyInputs(
    new S3RawPartitions(
      deployment.clients.s3,
      deployment.names.rawBucket,
      new DynamoDbRawCommitLog(deployment.clients.dynamodb, deployment.names.stateTable),
    ),
    definition,
    from,
    to,
  );
  for (const input of empty) {
    const since = input.from === null ? 'at all' : `from ${isoTime(input.from).slice(0, 16)}Z`;
    context.stderr(
      `${context.command ?? 'kpi'}: warning: ${definition.id} reads ${input.dataset}, which has no raw partition ${since} to ${isoTime(input.to).slice(0, 16)}Z on ${deployment.where}: ` +
        `those periods can only be insufficient_data. Ingest it first (kpi ingest --dataset ${input.dataset} FILE…)${then ? `, ${then}` : ''}.\n`,
    );
  }
  return empty.length;
}
