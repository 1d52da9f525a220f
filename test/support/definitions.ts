// Test support: KPI definitions with the boring fields filled in, so each test states only what matters.
import { parseDefinition } from '../../src/domain/definition/parse';
import type { KpiDefinition, KpiDefinitionInput } from '../../src/domain/definition/schema';

type Essentials = Pick<KpiDefinitionInput, 'calculation' | 'datasets'> & Partial<KpiDefinitionInput>;

/** A valid definition: `calculation` and `datasets` given, the rest defaulted (day grain, no dimensions). */
export function definitionInput(essentials: Essentials): KpiDefinitionInput {
  return {
    id: 'test_kpi',
    name: 'Test KPI',
    description: 'A KPI made up for a test.',
    category: 'business_impact',
    owner: { name: 'Test owner', email: 'owner@example.com' },
    grain: 'day',
    cadence: 'hourly',
    target: {
      direction: 'higher_is_better',
      value: 1,
      description: 'at least 1',
      thresholds: { green: 1, yellow: 0.5 },
    },
    guardrail: { levelOfDecision: 'low', useCase: 'campaign_optimization' },
    ...essentials,
  };
}

/** {@link definitionInput}, validated. */
export function definition(essentials: Essentials): KpiDefinition {
  return parseDefinition(definitionInput(essentials), 'test');
}

/** Epoch ms of a UTC date-time given as `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM`. */
export function at(text: string): number {
  return Date.parse(text.length === 10 ? `${text}T00:00:00Z` : `${text}:00Z`);
}
