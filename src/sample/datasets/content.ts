// Sample data: content personalization requests and deliveries, scored for relevance.
import type { TypedRecord } from '../../domain/records';
import { anomaly, during, HOUR, type SampleCalendar } from '../calendar';
import { AGENTS } from '../campaigns';
import { SeededRandom } from '../random';
import { businessTime } from './crm';

export function contentEvents(seed: number, calendar: SampleCalendar): TypedRecord[] {
  const random = SeededRandom.derive(seed, 'content_events');
  const events: TypedRecord[] = [];
  const decay = anomaly('relevance-decay');
  for (let day = 0; day < calendar.days; day++) {
    const dayStart = calendar.dayStart(day);
    const outage = during(anomaly('personalizer-outage'), calendar, day);
    const decayed = Math.max(0, day - calendar.recent(decay.fromEnd) + 1);
    const relevance = 0.8 - (0.14 * decayed) / decay.fromEnd;
    const count = random.poisson(160 * calendar.weekdayFactor(day));
    for (let i = 0; i < count; i++) {
      const requested = businessTime(random, dayStart);
      let delivered: number | null = requested + Math.round(random.logNormal(18_000, 0.6));
      if (outage && requested >= dayStart + 9 * HOUR && requested < dayStart + 13 * HOUR) {
        delivered = random.chance(0.3) ? dayStart + 13 * HOUR + random.integer(0, HOUR) : null;
      }
      events.push({
        content_id: `C${String(events.length + 1).padStart(7, '0')}`,
        requested_at: requested,
        delivered_at: delivered !== null && delivered < calendar.end ? delivered : null,
        agent_id: AGENTS.contentPersonalizer.id,
        channel: random.weighted([
          ['web', 5],
          ['email', 3],
          ['ad', 2],
        ]),
        segment: random.pick(['new_visitor', 'returning', 'lapsed', 'high_value']),
        relevance_score:
          delivered === null
            ? null
            : Math.round(Math.min(1, Math.max(0, relevance + 0.07 * random.normal())) * 1000) / 1000,
      });
    }
  }
  return events.sort((a, b) => (a.requested_at as number) - (b.requested_at as number));
}
