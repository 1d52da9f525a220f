// Local runtime: the review loop as `npm start` shows it. Fires the weekly review's schedule (the
// template's own, invoking the production function) as it fired at the start of the run's last week,
// for the week before it; signs that pack off as the demo reviewer with one action item; then builds
// the pack of the last week now: it says what changed since the first, carries the open item over
// and names who signed. Its link is printed, the demo reviewer signs it off too (unless asked not
// to), and both packs are copied beside the report as plain files.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { ReviewPackSummary } from '../../functions/review-pack';
import { REVIEWS_PREFIX, reviewPackKeys } from '../contracts/review-layout';
import { reviewPeriodBefore } from '../domain/reviews/kinds';
import type { ReviewDocument } from '../report/review-pack';
import type { LocalCloud } from './local-cloud';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const KIND = 'weekly-operational';

export interface ReviewsDemoOptions {
  /**
   * When the run happened (the end of its data): the last pack reviews the last week that ended by
   * then, as of now, after the demo reviewer signed the one before (so it sees that sign-off and item).
   */
  readonly at: number;
  /** Where the packs are copied: `<outDir>/reviews/<kind>/<period>/pack.html`. */
  readonly outDir: string;
  /** Whether the demo reviewer signs the last pack off (`none` leaves it to you, with --serve). */
  readonly decide: 'sign' | 'none';
  readonly log: (line: string) => void;
}

export interface BuiltPack {
  readonly reviewId: string;
  readonly headline: string;
  /** The pack's page and JSON, copied beside the report. */
  readonly htmlFile: string;
  readonly jsonFile: string;
  /** Its place in the snapshots bucket. */
  readonly s3: string;
  readonly bytes: { readonly html: number; readonly json: number };
  readonly buildMs: number;
  /** The reviewers' signed links. */
  readonly links: readonly string[];
}

export interface ReviewsDemoResult {
  readonly previous: BuiltPack;
  readonly latest: BuiltPack;
  /** What the demo reviewer recorded, as the page said it. */
  readonly recorded: readonly string[];
}

function reviewsTopic(cloud: LocalCloud): string {
  const topic = cloud.resolver.resourcesOfType('AWS::SNS::Topic').find((t) => t.logicalId.startsWith('ReviewsTopic'));
  if (!topic) throw new Error('the app has no reviews topic');
  return cloud.resolver.arn(topic.stackName, topic.logicalId);
}

/**
 * Runs the weekly review function as of `at`: through its schedule (its own input), or, for a
 * `period` the schedule would not pick at that time, with the period named as an operator would.
 */
async function build(
  cloud: LocalCloud,
  topic: string,
  at: number,
  outDir: string,
  period?: string,
): Promise<BuiltPack> {
  const builder = cloud.functions.list().find((f) => f.environment.REVIEW_KIND === KIND);
  const schedule = cloud.schedules.all.find((s) => s.targetArn === builder?.arn);
  if (!builder || !schedule) throw new Error(`the app has no ${KIND} review schedule`);
  const summary = (
    period === undefined
      ? await cloud.schedules.run(schedule, new Date(at))
      : await cloud.functions.invoke(builder.arn, { kind: KIND, scheduledTime: new Date(at).toISOString(), period })
  ) as ReviewPackSummary;
  const links = (await cloud.takePublished(topic)).flatMap((m) => /https?:\/\/\S+/.exec(m.message)?.[0] ?? []);
  const [, label = ''] = summary.reviewId.split('/');
  const keys = reviewPackKeys(KIND, label);
  const bucket = builder.environment.SNAPSHOTS_BUCKET ?? '';
  const folder = path.join(outDir, REVIEWS_PREFIX, KIND, label);
  mkdirSync(folder, { recursive: true });
  const files = { html: path.join(folder, 'pack.html'), json: path.join(folder, 'pack.json') };
  for (const [kind, key] of Object.entries(keys) as ['html' | 'json', string][]) {
    const { Body } = await cloud.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    writeFileSync(files[kind], (await Body?.transformToString('utf8')) ?? '');
  }
  return {
    reviewId: summary.reviewId,
    headline: summary.headline,
    htmlFile: files.html,
    jsonFile: files.json,
    s3: `s3://${bucket}/${keys.html}`,
    bytes: summary.bytes,
    buildMs: summary.buildMs,
    links,
  };
}

async function post(link: string, fields: Record<string, string>): Promise<{ status: number; lines: string[] }> {
  const response = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
  const html = await response.text();
  const notice = /<section class="panel notice[^"]*"[^>]*>([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
  const lines = [...notice.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) =>
    (m[1] ?? '')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&'),
  );
  return { status: response.status, lines };
}

/** Builds, signs and copies the two packs; see the file comment. */
export async function runReviewsDemo(cloud: LocalCloud, options: ReviewsDemoOptions): Promise<ReviewsDemoResult> {
  const { log } = options;
  const topic = reviewsTopic(cloud);
  await cloud.watchTopic(topic);

  // The last week of the run, and the one before, built when its schedule fired: at the start of the last.
  const last = reviewPeriodBefore(KIND, options.at);
  const previous = await build(cloud, topic, last.start + 8 * HOUR, options.outDir);
  log(
    `  ${previous.reviewId} (as its schedule built it on ${new Date(last.start).toISOString().slice(0, 10)}): ${previous.headline}`,
  );
  const [previousLink] = previous.links;
  if (!previousLink) throw new Error(`no review link was sent for ${previous.reviewId}`);
  const document = JSON.parse(readFileSync(previous.jsonFile, 'utf8')) as ReviewDocument;
  const red = document.pack.changes.newReds[0] ?? document.pack.scorecard.find((e) => e.status === 'red');
  const due = new Date(Date.now() + 7 * DAY).toISOString().slice(0, 10);
  const signed = await post(previousLink, {
    signOff: 'yes',
    note: 'Signed off by the demo reviewer',
    'item0.what': red
      ? `Find the cause of the red on ${red.name} and report back`
      : 'Review the thresholds of the pack',
    'item0.owner': 'ops-lead@example.com',
    'item0.due': due,
    ...(red ? { 'item0.kpi': red.kpiId } : {}),
  });
  if (signed.status !== 200)
    throw new Error(`the demo reviewer could not sign ${previous.reviewId} off: HTTP ${signed.status}`);
  for (const line of signed.lines) log(`    demo reviewer: ${line}`);

  const latest = await build(cloud, topic, Date.now(), options.outDir, last.label);
  log(`  ${latest.reviewId}: ${latest.headline}`);
  for (const link of latest.links) log(`    sign-off link: ${link}`);
  const recorded = [...signed.lines];
  const [latestLink] = latest.links;
  if (options.decide === 'sign' && latestLink) {
    const view = await fetch(latestLink);
    const answer = await post(latestLink, { signOff: 'yes', note: 'Signed off by the demo reviewer' });
    log(`    demo reviewer: GET ${view.status}, POST ${answer.status}: ${answer.lines.join(' ')}`);
    recorded.push(...answer.lines);
  }
  log(`  packs: ${path.relative(process.cwd(), latest.htmlFile)} (and ${latest.s3})`);
  return { previous, latest, recorded };
}
