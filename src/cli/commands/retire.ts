// CLI: `kpi retire` stops computing a KPI; its versions and history stay.
import { retireDefinition } from '../../usecases/retire-definition';
import { type CliCommand, UsageError } from '../command';
import { authorOf, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'retire',
  summary: 'retire a KPI: its schedule is removed, its versions, values and history stay',
  usage: `Usage: kpi retire KPI_ID --reason TEXT [--author NAME]

${DEPLOYMENT_USAGE}

  kpi retire bounce_rate --reason "replaced by bounce_rate_reduction"`,
  async run(context) {
    const { values, positionals } = parseOptions(
      context.args,
      { ...DEPLOYMENT_OPTIONS, reason: { type: 'string' }, author: { type: 'string' } },
      true,
    );
    const [id] = positionals;
    if (!id || positionals.length > 1) throw new UsageError('give one KPI id');
    if (!values.reason) throw new UsageError('give --reason: the change log records why');
    const by = { author: authorOf(values.author, context), reason: values.reason };
    return withDeployment(values, context, async (deployment) => {
      const { change, schedule } = await retireDefinition(
        { store: deployment.definitions, schedules: deployment.schedules },
        id,
        by,
      );
      context.stdout(`${id}: retired at version ${change.toVersion}; schedule ${schedule}\n`);
      return 0;
    });
  },
};
