// Sample data: the CRM export. Leads arrive from campaigns and organic channels; some become
// opportunities, some of which are won. Opportunities come a little more often per lead in the third
// quarter than in the second, and win rates of one campaign keep improving (so its CAC declines).
import type { TypedRecord } from '../../domain/records';
import { DAY, HOUR, MINUTE, type SampleCalendar } from '../calendar';
import { CAMPAIGNS, LEAD_CHANNELS } from '../campaigns';
import { SeededRandom } from '../random';

/** Leads and opportunities of one sample. */
export interface CrmSample {
  readonly leads: TypedRecord[];
  readonly opportunities: TypedRecord[];
}

const PAID_CHANNEL = { search: 'paid_search', social: 'paid_social', display: 'paid_social', video: 'paid_social' };

/** A time in a business day: more between 09:00 and 18:00 UTC. */
export function businessTime(random: SeededRandom, dayStart: number): number {
  const hour = random.weighted([
    [random.integer(0, 7), 1],
    [random.integer(8, 17), 6],
    [random.integer(18, 23), 1.5],
  ]);
  return dayStart + hour * HOUR + random.integer(0, HOUR - 1);
}

function quarterOf(time: number): number {
  const date = new Date(time);
  return date.getUTCFullYear() * 4 + Math.floor(date.getUTCMonth() / 3);
}

export function crm(seed: number, calendar: SampleCalendar): CrmSample {
  const random = SeededRandom.derive(seed, 'crm');
  const leads: TypedRecord[] = [];
  const opportunities: TypedRecord[] = [];
  const firstQuarter = quarterOf(calendar.start);
  for (let day = 0; day < calendar.days; day++) {
    const count = random.poisson(55 * calendar.weekdayFactor(day));
    for (let i = 0; i < count; i++) {
      const id = `L${String(leads.length + 1).padStart(6, '0')}`;
      const created = businessTime(random, calendar.dayStart(day));
      const paid = random.chance(0.75);
      const campaign = paid ? random.weighted(CAMPAIGNS.map((c) => [c, c.leadShare] as const)) : null;
      const channel = random.chance(0.03)
        ? null
        : campaign
          ? PAID_CHANNEL[campaign.channel]
          : random.pick(LEAD_CHANNELS.filter((c) => !c.startsWith('paid')));
      leads.push({
        lead_id: id,
        created_at: created,
        campaign_id: campaign?.id ?? null,
        channel,
        country: random.weighted([
          ['US', 5],
          ['GB', 2],
          ['DE', 2],
          ['FR', 1],
        ]),
      });
      // Lead-to-opportunity improves by a fifth each quarter the sample spans.
      const opportunityRate = 0.2 * 1.2 ** (quarterOf(created) - firstQuarter);
      if (!random.chance(opportunityRate)) continue;
      const opened = created + Math.round(random.logNormal(2 * DAY, 0.6));
      if (opened >= calendar.end) continue;
      // cmp-spring-search's win rate improves month after month; the others hold steady.
      const month = Math.floor((opened - calendar.start) / (30 * DAY));
      const winRate = campaign?.id === 'cmp-spring-search' ? Math.min(0.6, 0.22 + 0.08 * month) : 0.3;
      const won = random.chance(winRate);
      const closes = opened + Math.round(random.logNormal(18 * DAY, 0.5));
      const closed = closes < calendar.end ? Math.floor(closes / MINUTE) * MINUTE : null;
      opportunities.push({
        opportunity_id: `O${String(opportunities.length + 1).padStart(6, '0')}`,
        lead_id: id,
        campaign_id: campaign?.id ?? null,
        created_at: opened,
        stage: closed === null ? 'open' : won ? 'won' : 'lost',
        closed_at: closed,
        amount: Math.round(random.logNormal(12_000, 0.7) / 10) * 10,
      });
    }
  }
  return {
    leads: leads.sort((a, b) => (a.created_at as number) - (b.created_at as number)),
    opportunities: opportunities.sort((a, b) => (a.created_at as number) - (b.created_at as number)),
  };
}
