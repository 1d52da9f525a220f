// CLI: `kpi history` shows a KPI's versions and the change log of its active pointer.
import { DefinitionNotFoundError } from '../../domain/versioning/errors';
import { type CliCommand, UsageError } from '../command';
import { withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'history',
  summary: "show a KPI's versions and every publish, rollback and retirement, oldest first",
  usage: `Usage: kpi history KPI_ID [--format table|json]

${DEPLOYMENT_USAGE}

  kpi history ctr`,
  async run(context) {
    const { values, positionals } = parseOptions(
      context.args,
      { ...DEPLOYMENT_OPTIONS, format: { type: 'string', default: 'table' } },
      true,
    );
    const [id] = positionals;
    if (!id || positionals.length > 1) throw new UsageError('give one KPI id');
    if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format is table or json');
    return withDeployment(values, context, async (deployment) => {
      const state = await deployment.definitions.get(id);
      if (!state) throw new DefinitionNotFoundError(id);
      const [versions, changes] = await Promise.all([
        deployment.definitions.versions(id),
        deployment.definitions.history(id),
      ]);
      if (values.format === 'json') {
        context.stdout(
          `${JSON.stringify(
            {
              id,
              status: state.status,
              activeVersion: state.version,
              versions: versions.map(({ definition: _d, ...v }) => ({ ...v, publishedAt: iso(v.publishedAt) })),
              changes: changes.map((c) => ({ ...c, at: iso(c.at) })),
            },
            null,
            2,
          )}\n`,
        );
        return 0;
      }
      context.stdout(
        `${id}: ${state.status}, version ${state.version} in force of ${state.latestVersion}\n\nVersions\n`,
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
  },
};

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
