// Sample data: web sessions. Half see pages personalized by the content personalizer, half control.
// Bounces and conversions follow a quasi-random sequence per day and variant, so daily rates sit close to
// their planted probabilities (a real site has the volume that makes them so).
import type { TypedRecord } from '../../domain/records';
import { anomaly, during, type SampleCalendar } from '../calendar';
import { CAMPAIGNS } from '../campaigns';
import { SeededRandom } from '../random';
import { businessTime } from './crm';

const GOLDEN = 0.6180339887498949;

/** The k-th point of the sequence k·GOLDEN + offset (mod 1): evenly spread in [0, 1). */
function spread(k: number, offset: number): number {
  return (offset + k * GOLDEN) % 1;
}

export function webSessions(seed: number, calendar: SampleCalendar): TypedRecord[] {
  const random = SeededRandom.derive(seed, 'web_sessions');
  const sessions: TypedRecord[] = [];
  for (let day = 0; day < calendar.days; day++) {
    const broken = during(anomaly('personalization-broken'), calendar, day);
    const controlBounce = 0.42 * (1 + 0.02 * random.normal());
    const reduction = broken ? 0.005 : 0.1 * (1 + 0.04 * random.normal());
    const rates = {
      control: { bounce: controlBounce, convert: 0.032 },
      personalized: { bounce: controlBounce * (1 - reduction), convert: broken ? 0.032 : 0.036 },
    };
    const seen = { control: 0, personalized: 0 };
    const offset = random.next();
    const count = random.poisson(420 * calendar.weekdayFactor(day));
    for (let i = 0; i < count; i++) {
      const variant = random.chance(0.5) ? 'personalized' : 'control';
      // One evenly spread draw decides both: [0, bounce) bounces, [bounce, bounce + convert) converts.
      const draw = spread(seen[variant]++, offset);
      const bounced = draw < rates[variant].bounce;
      const source = random.weighted([
        ['paid', 4],
        ['organic', 3],
        ['email', 1.5],
        ['social', 1],
        ['direct', 1],
      ] as const);
      sessions.push({
        session_id: `S${String(sessions.length + 1).padStart(7, '0')}`,
        started_at: businessTime(random, calendar.dayStart(day)),
        traffic_source: source,
        campaign_id: source === 'paid' ? random.pick(CAMPAIGNS).id : null,
        variant,
        device: random.weighted([
          ['mobile', 6],
          ['desktop', 3.5],
          ['tablet', 0.5],
        ]),
        pages: bounced ? 1 : 1 + random.poisson(3),
        bounced,
        converted: !bounced && draw < rates[variant].bounce + rates[variant].convert,
      });
    }
  }
  return sessions.sort((a, b) => (a.started_at as number) - (b.started_at as number));
}
