// CLI: `kpi annotate` records a window (a launch, an agent release, a tracking outage) that drift
// detection suppresses or explains, and keeps out of later baselines.
import { DynamoAnnotationStore } from '../../adapters/aws/dynamo-annotation-store';
import { annotationSchema } from '../../domain/evaluation/drift/annotations';
import { type CliCommand, UsageError } from '../command';
import { instantOf, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'annotate',
  summary: 'record a launch, an agent release or an outage that suppresses or explains drift alerts',
  usage: `Usage: kpi annotate --id ID --label TEXT --from INSTANT --to INSTANT --effect suppress|explain
                    [--kpi KPI_ID]... [--keep-in-baseline]

  --effect suppress   a drift inside the window raises no violation (it is still stored)
  --effect explain    the violation is raised and names this annotation as its likely cause
  --kpi KPI_ID        the KPIs it concerns (repeatable; default: every KPI)
  --keep-in-baseline  let the window's periods count in later baselines (default: left out)

An annotation with an id that exists replaces it.

${DEPLOYMENT_USAGE}

  kpi annotate --id spring-launch --label "Spring campaign launch" --from 2026-06-10 --to 2026-06-13 --effect explain --kpi ctr`,
  async run(context) {
    const { values } = parseOptions(context.args, {
      ...DEPLOYMENT_OPTIONS,
      id: { type: 'string' },
      label: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      effect: { type: 'string' },
      kpi: { type: 'string', multiple: true },
      'keep-in-baseline': { type: 'boolean', default: false },
    });
    const from = values.from ? instantOf(values.from) : null;
    const to = values.to ? instantOf(values.to) : null;
    if (from === null || to === null) throw new UsageError('give --from and --to as YYYY-MM-DD or ISO-8601 instants');
    const parsed = annotationSchema.safeParse({
      id: values.id,
      label: values.label,
      from,
      to,
      effect: values.effect,
      kpiIds: values.kpi ?? [],
      excludeFromBaseline: !values['keep-in-baseline'],
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UsageError(
        `--${issue?.path.join('.') === 'kpiIds' ? 'kpi' : issue?.path.join('.')}: ${issue?.message}`,
      );
    }
    return withDeployment(values, context, async (deployment) => {
      await new DynamoAnnotationStore(deployment.clients.dynamodb, deployment.names.definitionsTable).put(parsed.data);
      const scope = parsed.data.kpiIds.length ? parsed.data.kpiIds.join(', ') : 'every KPI';
      context.stdout(
        `${parsed.data.id}: ${parsed.data.effect} drift of ${scope} from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}\n`,
      );
      return 0;
    });
  },
};
