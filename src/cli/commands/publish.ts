// CLI: `kpi publish` stores new versions of KPI definitions and keeps their schedules in step.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { storedDefinition } from '../../adapters/aws/kpi-definitions';
import { definitionsNotFitting } from '../../adapters/files/definition-fit';
import { type LoadedDataset, loadDatasetCatalog } from '../../adapters/local/dataset-files';
import { readDefinitionFiles } from '../../contracts/kpi-definition-files';
import { formatIssue } from '../../domain/definition/errors';
import { DefinitionUnchangedError } from '../../domain/versioning/errors';
import { publishKpiDefinition } from '../../usecases/publish-kpi-definition';
import { type CliCommand, type CliContext, UsageError } from '../command';
import { authorOf, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE, type Deployment } from '../deployment';
import { displayPath } from '../format';
import { parseOptions } from '../options';

/** Where the deployment's dataset declarations live (lib/constructs/ingestion: `datasetsFolder`). */
const DEFAULT_DATASETS_DIR = 'kpis/datasets';

export const command: CliCommand = {
  name: 'publish',
  summary: 'publish KPI definitions as new immutable versions (content identical to the active one is refused)',
  usage: `Usage: kpi publish --reason TEXT [--author NAME] [--datasets DIR] PATH...

Validates the definitions under PATH (files or folders), and each against the datasets it reads,
and publishes each as a new version with its content hash, author, reason and time; its schedule
follows its cadence. A definition whose content equals its active version is reported as unchanged
and not published. Nothing is published while one definition is invalid.

A guardrail change (target, thresholds, minimum sample, guardrail, calibration bounds, at-risk
level) of a KPI whose level of decision is high or critical is not put in force: it is held as a
proposal and the approval workflow asks the approvers, as for a violation; the version in force
stays until one approves. On the local deployment the workflow runs in this command, which prints
the approval links and waits for the decision (or the last deadline). A file written by
\`kpi calibrate\` publishes its proposal, with the evidence in the change log.

  --reason TEXT    why (recorded in the change log)
  --author NAME    who (default: KPI_AUTHOR, else git config user.email or user.name, else USER)
  --datasets DIR   the dataset declarations the definitions are checked against (default: the
                   ones in force on the deployment: published versions (\`kpi dataset publish\`),
                   else ${DEFAULT_DATASETS_DIR}, the ones it ships, when it exists)

${DEPLOYMENT_USAGE}

  kpi publish --reason "tighter CTR threshold" kpis/definitions/ctr.yaml`,
  async run(context) {
    const { values, positionals } = parseOptions(
      context.args,
      { ...DEPLOYMENT_OPTIONS, reason: { type: 'string' }, author: { type: 'string' }, datasets: { type: 'string' } },
      true,
    );
    if (!values.reason) throw new UsageError('give --reason: every version records why it was published');
    if (positionals.length === 0) throw new UsageError('give the definition files or folders to publish');
    const { definitions, errors } = readDefinitionFiles(positionals.map((p) => path.resolve(context.cwd, p)));
    const datasetsDir = path.resolve(context.cwd, values.datasets ?? DEFAULT_DATASETS_DIR);
    const folder =
      values.datasets !== undefined || existsSync(datasetsDir) ? await loadDatasetCatalog(datasetsDir) : null;
    const report = (): number => {
      for (const error of errors) {
        const shown = displayPath(context.cwd, error.file);
        for (const issue of error.issues) {
          const where = issue.line === undefined ? shown : `${shown}:${issue.line}`;
          context.stderr(`${where}: ${formatIssue({ ...issue, line: undefined })}\n`);
        }
      }
      context.stderr(`kpi publish: ${errors.length} definition file(s) invalid; nothing published\n`);
      return 1;
    };
    if (errors.length > 0) return report();
    const by = { author: authorOf(values.author, context), reason: values.reason };
    return withDeployment(values, context, async (deployment) => {
      // The datasets the KPIs will read: those in force on the deployment (published versions, and the
      // folder's declarations for datasets never published), unless --datasets names a folder.
      const inForce = values.datasets === undefined ? await deployment.datasets.list('active') : [];
      const catalog = new Map<string, Pick<LoadedDataset, 'declaration'>>(folder ?? []);
      for (const state of inForce) catalog.set(state.id, { declaration: state.definition });
      if (catalog.size > 0) errors.push(...definitionsNotFitting(definitions, catalog));
      if (errors.length > 0) return report();
      if (catalog.size === 0) {
        context.stdout(`note  no ${DEFAULT_DATASETS_DIR} here: fields were not checked (add --datasets DIR)\n`);
      } else if (inForce.length > 0) {
        context.stdout(`checked against the dataset declarations in force on ${deployment.where}\n`);
      }
      for (const { definition } of definitions) {
        try {
          const result = await publishKpiDefinition(
            {
              store: deployment.definitions,
              schedules: deployment.schedules,
              workflow: deployment.approvalWorkflow,
              values: deployment.values,
              clock: { now: context.now },
              newApprovalId: randomUUID,
            },
            storedDefinition(definition),
            by,
          );
          if (result.outcome === 'published') {
            context.stdout(
              `${definition.id}: published version ${result.version} (${result.hash.slice(0, 19)}…); schedule ${result.schedule.name} ${result.schedule.change}${result.proposalId ? `; from proposal ${result.proposalId}` : ''}\n`,
            );
            continue;
          }
          context.stdout(
            `${definition.id}: held for approval ${result.approvalId} (proposal ${result.proposalId}); version ${result.activeVersion} stays in force until an approver decides\n  ${result.review.reason}\n`,
          );
          await followApproval(deployment, context, definition.id, result.approvalId);
        } catch (error) {
          if (!(error instanceof DefinitionUnchangedError)) throw error;
          context.stdout(`${definition.id}: unchanged (identical to active version ${error.activeVersion})\n`);
        }
      }
      context.stdout(`on ${deployment.where}\n`);
      return 0;
    });
  },
};

/** On the local deployment, the workflow lives in this process: show the links and wait for it. */
async function followApproval(deployment: Deployment, context: CliContext, kpiId: string, approvalId: string) {
  if (!deployment.awaitApproval) {
    context.stdout('  the approvers were emailed their links; `kpi history` shows the outcome\n');
    return;
  }
  context.stdout('  waiting for the decision (the local workflow runs in this command; Ctrl-C abandons it)\n');
  const end = await deployment.awaitApproval(approvalId, (approver, link) =>
    context.stdout(`  link for ${approver}: ${link}\n`),
  );
  const state = await deployment.definitions.get(kpiId);
  context.stdout(`  workflow ${end.status}; version ${state?.version} of ${kpiId} in force\n`);
}
