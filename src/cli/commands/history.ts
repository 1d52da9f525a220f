// CLI: `kpi history` shows a KPI's versions and the change log of its active pointer.
import { describeThresholds, evidenceLines } from '../../domain/evaluation/calibration/describe';
import { DefinitionNotFoundError } from '../../domain/versioning/errors';
import { type CliCommand, UsageError } from '../command';
import { withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'history',
  summary: "show a KPI's versions, every publish, rollback and retirement, and its proposals",
  usage: `Usage: kpi history KPI_ID [--format table|json]

Versions, oldest first; the change log (a publish that came from a proposal names it, its evidence
and who approved it); and the proposals, newest first: calibrations made on the KPI's cadence or by
\`kpi calibrate\`, and guardrail changes awaiting (or past) their approval.

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
      const [versions, changes, proposals] = await Promise.all([
        deployment.definitions.versions(id),
        deployment.definitions.history(id),
        deployment.definitions.listProposals({ kpiId: id, limit: 50 }),
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
              proposals: proposals.map(({ definition, ...p }) => ({
                ...p,
                target: definition.target,
                createdAt: iso(p.createdAt),
                updatedAt: iso(p.updatedAt),
              })),
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
        if (c.proposal) context.stdout(`        from proposal ${c.proposal.id} (${c.proposal.source})\n`);
        if (c.proposal?.evidence) context.stdout(`        evidence: ${c.proposal.evidence}\n`);
        if (c.approval) {
          context.stdout(
            `        approved by ${c.approval.approver} at ${iso(c.approval.decidedAt)} (approval ${c.approval.id})${c.approval.reason ? `: ${c.approval.reason}` : ''}\n`,
          );
        }
      }
      context.stdout(proposals.length === 0 ? '\nNo proposals\n' : '\nProposals (newest first)\n');
      for (const p of proposals) {
        const outcome =
          p.status === 'published'
            ? ` as v${p.publishedVersion}`
            : p.status === 'awaiting_approval'
              ? ` (approval ${p.approval?.id})`
              : '';
        context.stdout(
          `  ${p.id}  ${iso(p.createdAt)}  ${p.source.padEnd(11)}  ${p.status}${outcome}  on v${p.baseVersion}: ${describeThresholds(p.definition.target.thresholds)}\n`,
        );
        if (p.approval?.decidedBy) context.stdout(`        decided by ${p.approval.decidedBy}\n`);
        for (const line of evidenceLines(p.evidence, p.impact)) context.stdout(`        ${line}\n`);
      }
      return 0;
    });
  },
};

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
