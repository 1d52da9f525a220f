// Sample data: ad platform performance, one record per campaign, variant and hour. The agent variant
// is the campaign optimizer's bidding and creatives; control is the platform's default.
import type { TypedRecord } from '../../domain/records';
import { anomaly, DAY, during, HOUR, type SampleCalendar } from '../calendar';
import { CAMPAIGNS, LAUNCH_CAMPAIGN, type SampleCampaign } from '../campaigns';
import { SeededRandom } from '../random';

const LIFT = 0.15;

function hourlyRecord(
  random: SeededRandom,
  calendar: SampleCalendar,
  campaign: SampleCampaign,
  variant: 'agent' | 'control',
  time: number,
): TypedRecord {
  const day = Math.floor((time - calendar.start) / DAY);
  const hour = new Date(time).getUTCHours();
  const diurnal = 0.35 + 0.65 * Math.sin((Math.PI * Math.max(0, Math.min(hour - 6, 16))) / 16) ** 2;
  const impressions = random.poisson(campaign.impressionsPerHour * diurnal * calendar.weekdayFactor(day));
  let lift = LIFT;
  if (during(anomaly('lift-dip'), calendar, day)) lift = 0.07;
  if (campaign.id === 'cmp-summer-social' && during(anomaly('summer-social-lift-loss'), calendar, day)) lift = -0.02;
  const ctr = campaign.ctr * (variant === 'agent' ? 1 + lift : 1);
  // Less spread than a binomial: the sample stands for a platform with far more traffic than it lists.
  const expected = impressions * ctr;
  const clicks = Math.max(0, Math.round(expected + 0.3 * Math.sqrt(expected) * random.normal()));
  const spend = Math.round(clicks * campaign.cpc * random.between(0.85, 1.15) * 100) / 100;
  const creep = Math.max(0, day - calendar.recent(anomaly('bid-latency-creep').fromEnd) + 1);
  const latencyMedian = 110 * (1 + 0.04 * creep);
  return {
    ts: time + random.integer(0, HOUR - 1),
    campaign_id: campaign.id,
    channel: campaign.channel,
    variant,
    impressions,
    clicks,
    spend,
    conversions: random.binomial(clicks, 0.06),
    bid_latency_ms: Math.round(random.logNormal(latencyMedian, 0.45) * 10) / 10,
  };
}

/** Hourly records of every campaign and variant over the calendar, in time order. */
export function adPerformance(seed: number, calendar: SampleCalendar): TypedRecord[] {
  const random = SeededRandom.derive(seed, 'ad_performance');
  const records: TypedRecord[] = [];
  const launchDay = calendar.recent(anomaly('autumn-video-launch').fromEnd);
  for (let day = 0; day < calendar.days; day++) {
    const campaigns = day >= launchDay ? [...CAMPAIGNS, LAUNCH_CAMPAIGN] : CAMPAIGNS;
    for (let hour = 0; hour < 24; hour++) {
      const time = calendar.dayStart(day) + hour * HOUR;
      for (const campaign of campaigns) {
        for (const variant of ['agent', 'control'] as const) {
          records.push(hourlyRecord(random, calendar, campaign, variant, time));
        }
      }
    }
  }
  return records.sort((a, b) => (a.ts as number) - (b.ts as number));
}

/**
 * A stream of `count` ad records for benchmarks: `campaigns` campaigns spread over the calendar's
 * days, in time order, each an impression batch with clicks, spend and bid latency.
 */
export function* adPerformanceStream(
  seed: number,
  calendar: SampleCalendar,
  count: number,
  campaigns = 40,
): Generator<TypedRecord> {
  const random = SeededRandom.derive(seed, 'ad_performance_stream');
  const ids = Array.from({ length: campaigns }, (_, i) => `cmp-${String(i + 1).padStart(3, '0')}`);
  const channels = ['search', 'social', 'display', 'video'] as const;
  const span = calendar.end - calendar.start;
  for (let i = 0; i < count; i++) {
    const time = calendar.start + Math.floor((i / count) * span);
    const campaign = random.integer(0, campaigns - 1);
    const impressions = random.integer(20, 400);
    const ctr = 0.01 + (campaign % 7) * 0.004;
    const clicks = random.binomial(impressions, ctr);
    yield {
      ts: time,
      campaign_id: ids[campaign] as string,
      channel: channels[campaign % channels.length] as string,
      variant: random.chance(0.5) ? 'agent' : 'control',
      impressions,
      clicks,
      spend: Math.round(clicks * (0.4 + (campaign % 5) * 0.25) * random.between(0.8, 1.2) * 100) / 100,
      conversions: random.binomial(clicks, 0.05),
      bid_latency_ms: Math.round(random.logNormal(110, 0.5) * 10) / 10,
    };
  }
}
