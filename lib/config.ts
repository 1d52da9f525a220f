// CDK: the deployment configuration, one object under the `agentKpiPipeline` context key of
// cdk.json (or `-c agentKpiPipeline='{...}'`), validated once at synth time.
import * as z from 'zod';
import { approverTierSchema } from '../src/contracts/approver-tiers';

export { approverTierSchema };

const emailSchema = z.email({ message: 'must be an email address' });

/** An EventBridge Scheduler expression: `rate(5 minutes)`, `cron(0 2 * * ? *)` or `at(2030-01-01T00:00:00)`. */
export const scheduleExpressionSchema = z
  .string()
  .regex(
    /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\((\S+ ){5}\S+\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$/,
    'must be rate(N minutes|hours|days), cron(six fields) or at(yyyy-mm-ddThh:mm:ss)',
  );

const DEFAULT_SCHEDULES = {
  selfCheck: 'rate(1 day)',
  ingestDropZone: 'rate(5 minutes)',
  sweepRawStore: 'rate(1 day)',
};

/** How an at-risk forecast is routed (mirrors src/domain/guardrails/policy.ts `AT_RISK_ROUTES`). */
const atRiskRoute = z.enum(['like_yellow', 'notify_owner', 'like_red']).default('notify_owner');

export const deploymentConfigSchema = z
  .object({
    /** Prefix of every stack name, so several installations can share an account. */
    stackPrefix: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9-]{0,30}$/, 'letters, digits and dashes, starting with a letter')
      .default('AgentKpi'),
    /** Keep buckets and tables when a stack is deleted (RETAIN) and turn on deletion protection. */
    retainData: z.boolean().default(true),
    retention: z
      .object({
        /** Days of CloudWatch Logs kept for every function. */
        logDays: z.number().int().positive().default(30),
        /** Days of S3 server access logs kept. */
        accessLogsDays: z.number().int().positive().default(90),
      })
      .strict()
      .default({ logDays: 30, accessLogsDays: 90 }),
    /** When each scheduled part of the pipeline runs. */
    schedules: z
      .object({
        /** The self check of every bucket and table. */
        selfCheck: scheduleExpressionSchema.default(DEFAULT_SCHEDULES.selfCheck),
        /** The S3 drop zone connector (files under landing/<dataset>/). */
        ingestDropZone: scheduleExpressionSchema.default(DEFAULT_SCHEDULES.ingestDropZone),
        /** The raw store's sweeper (objects no commit names, superseded batches past retention). */
        sweepRawStore: scheduleExpressionSchema.default(DEFAULT_SCHEDULES.sweepRawStore),
      })
      .strict()
      .default(DEFAULT_SCHEDULES),
    /** The raw store's garbage collection. */
    rawStore: z
      .object({
        /** Hours an object no commit names is kept: longer than any run may take to commit it. */
        sweepGraceHours: z.number().int().min(1).default(48),
        /** Days the objects of a batch a corrected export superseded are kept, to look at what was replaced. */
        supersededRetentionDays: z.number().int().min(0).default(30),
      })
      .strict()
      .default({ sweepGraceHours: 48, supersededRetentionDays: 30 }),
    /** A KPI with no new value for this many hours raises the stale-KPI alarm. */
    staleKpiHours: z.number().int().positive().default(6),
    /** Who hears about pipeline failures (alarms). Empty: the topic exists, nobody is subscribed. */
    alarmEmails: z.array(emailSchema).default([]),
    /** The escalation chain of approvers, first tier first. */
    approverTiers: z
      .array(approverTierSchema)
      .min(1)
      .default([
        { name: 'kpi-owners', emails: ['kpi-owners@example.com'], deadlineMinutes: 60 },
        { name: 'marketing-ops-leads', emails: ['marketing-ops@example.com'], deadlineMinutes: 240 },
      ]),
    /**
     * KPI owner addresses that receive notices by email (level of decision low). Each is subscribed
     * to the owners topic with a filter, so an owner receives only the KPIs they own.
     */
    kpiOwnerEmails: z.array(emailSchema).default([]),
    /**
     * Public base URL of the approval page when a custom domain fronts it (for example
     * `https://approvals.example.com/`). @default the HTTP API's own https endpoint
     */
    approvalPageUrl: z.url({ protocol: /^https$/, message: 'must be an https URL' }).optional(),
    /**
     * How the guardrail policy routes an at-risk forecast, per level of decision: `like_yellow`
     * (recorded only), `notify_owner` (the default) or `like_red` (the level's own action).
     */
    atRiskRouting: z
      .object({ low: atRiskRoute, high: atRiskRoute, critical: atRiskRoute })
      .strict()
      .default({ low: 'notify_owner', high: 'notify_owner', critical: 'notify_owner' }),
  })
  .strict();

export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;
export type AtRiskRouting = DeploymentConfig['atRiskRouting'];
export type { ApproverTier } from '../src/contracts/approver-tiers';

/** Raised at synth time when the deployment configuration is invalid; the message lists every problem. */
export class DeploymentConfigError extends Error {
  override readonly name = 'DeploymentConfigError';
}

/**
 * Validates the raw context value (an object, or a JSON string when given with `-c`).
 * @throws DeploymentConfigError naming each invalid path
 */
export function parseDeploymentConfig(raw: unknown): DeploymentConfig {
  let value: unknown = raw ?? {};
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (error) {
      throw new DeploymentConfigError(`context agentKpiPipeline is not valid JSON: ${(error as Error).message}`);
    }
  }
  const result = deploymentConfigSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `  - agentKpiPipeline.${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new DeploymentConfigError(`invalid deployment configuration:\n${problems.join('\n')}`);
  }
  return result.data;
}
