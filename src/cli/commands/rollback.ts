// CLI: `kpi rollback` puts an earlier version of a KPI back in force.
import { rollbackDefinition } from '../../usecases/rollback-definition';
import { type CliCommand, UsageError } from '../command';
import { authorOf, cadenceOf, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'rollback',
  summary: 'put an earlier version of a KPI back in force (recorded in the change log; nothing is deleted)',
  usage: `Usage: kpi rollback KPI_ID --to VERSION --reason TEXT [--author NAME]

Moves the KPI's active pointer to VERSION. Every version stays stored; the move is recorded in the
change log (see kpi history), and the schedule follows that version's cadence.

${DEPLOYMENT_USAGE}

  kpi rollback ctr --to 2 --reason "threshold raised too many alerts"`,
  async run(context) {
    const { values, positionals } = parseOptions(
      context.args,
      { ...DEPLOYMENT_OPTIONS, to: { type: 'string' }, reason: { type: 'string' }, author: { type: 'string' } },
      true,
    );
    const [id] = positionals;
    if (!id || positionals.length > 1) throw new UsageError('give one KPI id');
    const version = Number(values.to);
    if (!values.to || !Number.isInteger(version) || version < 1)
      throw new UsageError('give --to VERSION, a version number');
    if (!values.reason) throw new UsageError('give --reason: the change log records why');
    const by = { author: authorOf(values.author, context), reason: values.reason };
    return withDeployment(values, context, async (deployment) => {
      const { change, schedule } = await rollbackDefinition(
        { store: deployment.definitions, schedules: deployment.schedules, cadenceOf },
        id,
        version,
        by,
      );
      context.stdout(`${id}: version ${change.toVersion} in force (was ${change.fromVersion}); schedule ${schedule}\n`);
      return 0;
    });
  },
};
