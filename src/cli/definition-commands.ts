// CLI: what the definition commands share: who changes a definition, the cadence of a definition,
// and one place that opens the deployment and always closes it.
import type { KpiDefinition } from '../domain/definition/schema';
import type { CliContext } from './command';
import { type Deployment, type DeploymentOptions, openDeployment } from './deployment';

/** Who signs a change: --author, else KPI_AUTHOR, else the login name. */
export function authorOf(option: string | undefined, context: CliContext): string {
  return option ?? context.env.KPI_AUTHOR ?? context.env.USER ?? context.env.USERNAME ?? 'unknown';
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
