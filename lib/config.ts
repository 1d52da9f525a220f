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

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;

/** When one kind of review pack is built, and who receives it. */
export const reviewScheduleSchema = z
  .object({
    /** Build and send this kind of pack. */
    enabled: z.boolean().default(true),
    /** Who receives the pack, each with a personal link to sign it off. */
    audience: z.array(emailSchema).min(1),
    /** Weekly reviews: the weekday (`MON`…`SUN`); monthly reviews: the day of the month (1–28). */
    day: z.union([z.enum(WEEKDAYS), z.number().int().min(1).max(28)]),
    /** Local time of day, `HH:MM` (24 h). */
    time: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (24 h)'),
    /** IANA time zone the day and time are in, e.g. `Europe/Paris`. */
    timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris or UTC'),
  })
  .strict();

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const DEFAULT_DATA_QUALITY = { freshnessMinutes: 60, spikeFactor: 2, spikeMinRows: 20 };
const defaultWeekly = (): z.input<typeof reviewScheduleSchema> => ({
  audience: ['ops-lead@example.com'],
  day: 'MON',
  time: '08:00',
  timeZone: 'UTC',
});
const defaultMonthly = (): z.input<typeof reviewScheduleSchema> => ({
  audience: ['head-of-growth@example.com'],
  day: 1,
  time: '09:00',
  timeZone: 'UTC',
});

export const reviewsConfigSchema = z
  .object({
    /** The weekly operational review: operational health, data quality, reliability, governance. */
    'weekly-operational': reviewScheduleSchema
      .refine((r) => typeof r.day === 'string', {
        message: 'a weekly review takes a weekday, MON to SUN',
        path: ['day'],
      })
      .default(() => reviewScheduleSchema.parse(defaultWeekly())),
    /** The monthly business review: business impact, with the governance summary. */
    'monthly-business': reviewScheduleSchema
      .refine((r) => typeof r.day === 'number', {
        message: 'a monthly review takes a day of the month, 1 to 28',
        path: ['day'],
      })
      .default(() => reviewScheduleSchema.parse(defaultMonthly())),
    /** Days a reviewer's link can record (sign-off, items, decisions). */
    linkDays: z.number().int().min(1).max(90).default(14),
    /** What the packs call a data-quality incident. */
    dataQuality: z
      .object({
        /** A batch landing more than this many minutes after its newest event breaches freshness. */
        freshnessMinutes: z.number().positive().default(DEFAULT_DATA_QUALITY.freshnessMinutes),
        /** A reason's quarantine rate this many times its rate in the window before is a spike. */
        spikeFactor: z.number().min(1).default(DEFAULT_DATA_QUALITY.spikeFactor),
        /** Fewer quarantined rows than this is no spike. */
        spikeMinRows: z.number().int().nonnegative().default(DEFAULT_DATA_QUALITY.spikeMinRows),
      })
      .strict()
      .default(() => ({ ...DEFAULT_DATA_QUALITY })),
  })
  .strict()
  .default(() => ({
    'weekly-operational': reviewScheduleSchema.parse(defaultWeekly()),
    'monthly-business': reviewScheduleSchema.parse(defaultMonthly()),
    linkDays: 14,
    dataQuality: { ...DEFAULT_DATA_QUALITY },
  }));

/** The EventBridge Scheduler cron of a review: weekly on a weekday, or monthly on a day of the month. */
export function reviewCron(schedule: Pick<ReviewSchedule, 'day' | 'time'>): string {
  const [hour, minute] = schedule.time.split(':').map(Number);
  return typeof schedule.day === 'string'
    ? `cron(${minute} ${hour} ? * ${schedule.day} *)`
    : `cron(${minute} ${hour} ${schedule.day} * ? *)`;
}

const DEFAULT_SCHEDULES = {
  selfCheck: 'rate(1 day)',
  ingestDropZone: 'rate(5 minutes)',
  sweepRawStore: 'rate(1 day)',
  freshnessCheck: 'rate(15 minutes)',
};

/** Concurrent executions reserved for one function: at most this many run at once, and they always can. */
const reservedConcurrencySchema = z.number().int().min(1).max(1000).nullable();

const DEFAULT_CONCURRENCY = {
  telemetry: 20,
  approvalPage: 5,
  approvalSteps: 5,
  guardrailIntake: 10,
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
        /** The dataset freshness check (each dataset's `freshness` against its last arrival). */
        freshnessCheck: scheduleExpressionSchema.default(DEFAULT_SCHEDULES.freshnessCheck),
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
     * Dataset owner addresses (the `owner` of dataset declarations) that receive freshness notices by
     * email. Each is subscribed to the dataset owners topic with a filter on its own address.
     */
    datasetOwnerEmails: z.array(emailSchema).default([]),
    /**
     * Public base URL of the approval page when a custom domain fronts it (for example
     * `https://approvals.example.com/`). @default the HTTP API's own https endpoint
     */
    approvalPageUrl: z.url({ protocol: /^https$/, message: 'must be an https URL' }).optional(),
    /**
     * Days between automatic rotations of the approval link signing key (a rotation function run
     * by Secrets Manager); null rotates only when an operator does. Links signed before a rotation
     * keep verifying until the next one, so this must outlast the longest tier deadline.
     */
    linkKeyRotationDays: z.number().int().min(1).max(365).nullable().default(30),
    /**
     * Reserved concurrency of the public functions and the approval path. Each number caps the
     * function (a flood of requests gets throttled there, not in the rest of the account) and keeps
     * that many executions for it whatever else runs. `null` reserves nothing (accounts whose
     * concurrency quota leaves no room: Lambda keeps 100 unreserved).
     */
    concurrency: z
      .object({
        /** The agent telemetry Function URL (public; requests are HMAC-signed). */
        telemetry: reservedConcurrencySchema.default(DEFAULT_CONCURRENCY.telemetry),
        /** The approval page (public; links are HMAC-signed). */
        approvalPage: reservedConcurrencySchema.default(DEFAULT_CONCURRENCY.approvalPage),
        /** The steps of the approval workflow. */
        approvalSteps: reservedConcurrencySchema.default(DEFAULT_CONCURRENCY.approvalSteps),
        /** The guardrail intake, which evaluate hands violations to. */
        guardrailIntake: reservedConcurrencySchema.default(DEFAULT_CONCURRENCY.guardrailIntake),
      })
      .strict()
      .default(DEFAULT_CONCURRENCY),
    /**
     * How the guardrail policy routes an at-risk forecast, per level of decision: `like_yellow`
     * (recorded only), `notify_owner` (the default) or `like_red` (the level's own action).
     */
    atRiskRouting: z
      .object({ low: atRiskRoute, high: atRiskRoute, critical: atRiskRoute })
      .strict()
      .default({ low: 'notify_owner', high: 'notify_owner', critical: 'notify_owner' }),
    /** The review packs: one schedule per kind, its audience, and what counts as an incident. */
    reviews: reviewsConfigSchema,
    /**
     * How a KPI's computation is fanned out over raw partitions (see docs/scaling.md): stale hour
     * partitions per compute invocation, parts run at once by the backfill's Distributed Map, and
     * the records in stale partitions beyond which a scheduled refresh hands its range to that fan-out.
     */
    fanOut: z
      .object({
        partitionsPerPart: z.number().int().min(1).max(10_000).default(48),
        maxConcurrency: z.number().int().min(1).max(10_000).default(40),
        refreshThresholdRecords: z.number().int().min(1).default(50_000_000),
      })
      .strict()
      .default({ partitionsPerPart: 48, maxConcurrency: 40, refreshThresholdRecords: 50_000_000 }),
  })
  .strict()
  .superRefine((config, ctx) => {
    const longest = Math.max(...config.approverTiers.map((tier) => tier.deadlineMinutes));
    // A link lives until its tier's deadline; signed just before a rotation (or with a key a warm
    // function cached for up to five minutes), it verifies as the previous key until the next one.
    if (config.linkKeyRotationDays !== null && config.linkKeyRotationDays * 24 * 60 < longest + 60) {
      ctx.addIssue({
        code: 'custom',
        path: ['linkKeyRotationDays'],
        message: `must give links more time than the longest tier deadline (${longest} minutes) plus an hour, or links still in inboxes would stop verifying`,
      });
    }
  });

export type DeploymentConfig = z.infer<typeof deploymentConfigSchema>;
export type AtRiskRouting = DeploymentConfig['atRiskRouting'];
export type { ApproverTier } from '../src/contracts/approver-tiers';
export type ReviewSchedule = z.infer<typeof reviewScheduleSchema>;
export type ReviewsConfig = z.infer<typeof reviewsConfigSchema>;
export type ConcurrencyConfig = DeploymentConfig['concurrency'];

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
