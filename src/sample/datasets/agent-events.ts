// Sample data: agent telemetry. Runs (with status, attempt and latency), lead qualification and handoff
// events of the lead router, health checks, incidents, and policy-checked decisions.
import type { TypedRecord } from '../../domain/records';
import { anomaly, DAY, during, HOUR, MINUTE, type SampleCalendar } from '../calendar';
import { AGENTS } from '../campaigns';
import { SeededRandom } from '../random';

type Agent = (typeof AGENTS)[keyof typeof AGENTS];

export function agentEvents(seed: number, calendar: SampleCalendar, leads: readonly TypedRecord[]): TypedRecord[] {
  const random = SeededRandom.derive(seed, 'agent_events');
  const events: Omit<TypedRecord, 'event_id'>[] = [];
  const emit = (agent: Agent, ts: number, eventType: string, fields: TypedRecord) =>
    events.push({ ts, agent_id: agent.id, use_case: agent.useCase, event_type: eventType, ...fields });
  const agents = Object.values(AGENTS);
  let incidents = 0;

  for (let day = 0; day < calendar.days; day++) {
    const dayStart = calendar.dayStart(day);
    for (const agent of agents) {
      for (let hour = 0; hour < 24; hour++) {
        const runs = random.poisson(2.5 * calendar.weekdayFactor(day));
        for (let i = 0; i < runs; i++) {
          let errorRate = 0.008;
          if (agent === AGENTS.campaignOptimizer && during(anomaly('optimizer-error-spike'), calendar, day))
            errorRate = 0.09;
          let retryRate = 0.03;
          if (agent === AGENTS.leadRouter && during(anomaly('router-retry-storm'), calendar, day)) retryRate = 0.25;
          emit(agent, dayStart + hour * HOUR + random.integer(0, HOUR - 1), 'run', {
            status: random.chance(errorRate) ? 'error' : 'ok',
            attempt: random.chance(retryRate) ? random.integer(2, 3) : 1,
            latency_ms: Math.round(random.logNormal(800, 0.4)),
          });
        }
      }
      // Health checks every 30 minutes; the personalizer is down 09:00-13:00 on the outage day.
      const outage = agent === AGENTS.contentPersonalizer && during(anomaly('personalizer-outage'), calendar, day);
      for (let check = 0; check < 48; check++) {
        const ts = dayStart + check * 30 * MINUTE;
        const down = outage && ts >= dayStart + 9 * HOUR && ts < dayStart + 13 * HOUR;
        emit(agent, ts, 'health_check', { healthy: !down && !random.chance(0.0002) });
      }
      const opened: [number, number][] = [];
      if (outage) opened.push([dayStart + 9 * HOUR, 4 * HOUR]);
      if (random.chance(0.08)) opened.push([dayStart + random.integer(0, DAY - 1), random.logNormal(20 * MINUTE, 0.5)]);
      for (const [start, duration] of opened) {
        const incident = `INC-${String(++incidents).padStart(4, '0')}`;
        emit(agent, start, 'incident_opened', { incident_id: incident, severity: duration > HOUR ? 'sev1' : 'sev3' });
        const resolved = Math.round(start + duration);
        if (resolved < calendar.end) emit(agent, resolved, 'incident_resolved', { incident_id: incident });
      }
    }
    // Policy-checked decisions of the optimizer (bid and budget changes) and the router.
    const creepStart = calendar.recent(anomaly('policy-creep').fromEnd);
    const outOfPolicy =
      day >= creepStart ? 0.01 + (0.06 * (day - creepStart + 1)) / anomaly('policy-creep').fromEnd : 0.01;
    for (const [agent, perHour, actions] of [
      [AGENTS.campaignOptimizer, 3, ['bid_change', 'budget_shift', 'pause_ad']],
      [AGENTS.leadRouter, 1, ['route_lead', 'reassign_lead']],
    ] as const) {
      const count = random.poisson(perHour * 24 * calendar.weekdayFactor(day));
      for (let i = 0; i < count; i++) {
        emit(agent, dayStart + random.integer(0, DAY - 1), 'decision', {
          action: random.pick(actions),
          within_policy: !random.chance(agent === AGENTS.campaignOptimizer ? outOfPolicy : 0.01),
        });
      }
    }
  }

  // The lead router qualifies each lead shortly after it arrives and hands it to sales.
  for (const lead of leads) {
    const day = Math.floor(((lead.created_at as number) - calendar.start) / DAY);
    const qualified = (lead.created_at as number) + Math.round(random.logNormal(40_000, 0.5));
    const common = { lead_id: lead.lead_id as string, channel: lead.channel ?? null };
    emit(AGENTS.leadRouter, qualified, 'lead_qualified', common);
    if (random.chance(0.02)) continue; // disqualified: never handed off
    let slowdown = 1;
    if (during(anomaly('handoff-slowdown'), calendar, day)) slowdown = 3;
    if (during(anomaly('handoff-wobble'), calendar, day)) slowdown = 1.7;
    const handedOff = qualified + Math.round(random.logNormal(75_000 * slowdown, 0.55));
    if (handedOff < calendar.end) emit(AGENTS.leadRouter, handedOff, 'lead_handed_off', common);
  }

  events.sort((a, b) => (a.ts as number) - (b.ts as number));
  return events.map((event, index) => ({ event_id: `EV${String(index + 1).padStart(7, '0')}`, ...event }));
}
