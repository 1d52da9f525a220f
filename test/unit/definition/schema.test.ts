import { describe, expect, it } from 'vitest';
import { DefinitionError, type ValidationIssue } from '../../../src/domain/definition/errors';
import { parseDefinition } from '../../../src/domain/definition/parse';
import { definitionInput } from '../../support/definitions';

const valid = definitionInput({
  datasets: [{ id: 'ads', timeField: 'ts' }],
  calculation: { type: 'aggregate', dataset: 'ads', aggregate: 'sum', field: 'spend' },
});

function issuesOf(document: unknown): ValidationIssue[] {
  try {
    parseDefinition(document, 'kpis/example.yaml');
  } catch (error) {
    if (error instanceof DefinitionError) return [...error.issues];
    throw error;
  }
  throw new Error('the definition was accepted');
}

function withCalculation(calculation: unknown, datasets: unknown = valid.datasets) {
  return { ...valid, datasets, calculation };
}

describe('KPI definition schema', () => {
  it('accepts a complete definition and fills in the defaults', () => {
    const definition = parseDefinition(valid, 'kpis/example.yaml');
    expect(definition).toMatchObject({ minimumSample: 1, dimensions: [], tags: [], unit: 'number' });
    expect(definition.drift).toMatchObject({ enabled: true, zThreshold: 3.5 });
    expect(definition.guardrail.triggers).toEqual(['red_status', 'drift']);
  });

  it('names the file and every problem with its path', () => {
    const error = (() => {
      try {
        parseDefinition(
          { ...valid, grain: 'fortnight', owner: { name: 'x', email: 'not-an-email' } },
          'kpis/example.yaml',
        );
      } catch (caught) {
        return caught as DefinitionError;
      }
    })();
    expect(error?.message).toContain('kpis/example.yaml: ');
    expect(error?.issues.map((i) => i.path.join('.'))).toEqual(['owner.email', 'grain']);
  });

  it('says a missing grain is required, and which grains there are', () => {
    const { grain: _grain, ...withoutGrain } = valid;
    expect(issuesOf(withoutGrain)).toEqual([
      { path: ['grain'], message: expect.stringMatching(/^is required: one of "minute", "hour", "day"/) },
    ]);
  });

  it('says a missing calculation type and target description are required', () => {
    const { description: _description, ...target } = valid.target as Record<string, unknown>;
    const { type: _type, ...calculation } = valid.calculation as Record<string, unknown>;
    const messages = issuesOf({ ...valid, target, calculation }).map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages).toContain('target.description: is required');
    expect(messages).toContainEqual(expect.stringMatching(/^calculation\.type: is required: one of aggregate, ratio/));
  });

  it('keeps "must be one of" for a grain that is there but wrong', () => {
    expect(issuesOf({ ...valid, grain: 'fortnight' })[0]?.message).toMatch(/^must be one of "minute"/);
  });

  it('refuses an arithmetic sample size that names no measure', () => {
    const calculation = {
      type: 'arithmetic',
      expression: 'spend * 2',
      measures: { spend: { dataset: 'ads', aggregate: 'sum', field: 'spend' } },
      sampleSize: 'rows',
    };
    expect(issuesOf(withCalculation(calculation))).toEqual([
      { path: ['calculation', 'sampleSize'], message: '"rows" is not one of the measures' },
    ]);
  });

  it('accepts the year and all_time grains', () => {
    expect(parseDefinition({ ...valid, grain: 'year' }, 'kpi.yaml').grain).toBe('year');
    expect(parseDefinition({ ...valid, grain: 'all_time' }, 'kpi.yaml').grain).toBe('all_time');
  });

  it('refuses a change or a streak over all_time, which has no earlier period', () => {
    const change = { type: 'change', of: valid.calculation };
    expect(issuesOf({ ...withCalculation(change), grain: 'all_time' })).toEqual([
      { path: ['grain'], message: expect.stringMatching(/^a change compares a period with earlier ones/) },
    ]);
  });

  it('requires a window to keep the negative durations of an entity join', () => {
    const calculation = {
      type: 'entity_duration',
      start: { dataset: 'ads', entityKey: 'lead' },
      end: { dataset: 'ads', entityKey: 'lead' },
      statistic: 'avg',
      negativeDurations: 'keep',
    };
    expect(issuesOf(withCalculation(calculation))).toEqual([
      { path: ['calculation', 'window'], message: expect.stringMatching(/^negativeDurations keep needs a window/) },
    ]);
    expect(() => parseDefinition(withCalculation({ ...calculation, window: '365d' }), 'kpi.yaml')).not.toThrow();
  });

  it('rejects a calculation reading a dataset the definition does not list', () => {
    expect(
      issuesOf(withCalculation({ type: 'aggregate', dataset: 'crm', aggregate: 'count' })).map((i) => i.message),
    ).toContain('the calculation reads dataset crm: add { id: crm, timeField: ... } here');
  });

  it('rejects a listed dataset the calculation does not read', () => {
    const issues = issuesOf(
      withCalculation({ type: 'aggregate', dataset: 'ads', aggregate: 'count' }, [
        { id: 'ads', timeField: 'ts' },
        { id: 'crm', timeField: 'ts' },
      ]),
    );
    expect(issues).toEqual([
      { path: ['datasets', 1, 'id'], message: 'dataset crm is listed but the calculation does not read it' },
    ]);
  });

  it('rejects a filter with two operators, pointing at the filter', () => {
    const issues = issuesOf(
      withCalculation({
        type: 'aggregate',
        dataset: 'ads',
        aggregate: 'count',
        filter: { field: 'channel', eq: 'a', ne: 'b' },
      }),
    );
    expect(issues).toEqual([
      {
        path: ['calculation', 'filter'],
        message: 'filter on "channel" has eq and ne: use one operator per filter and combine them with and',
      },
    ]);
  });

  it('rejects a nested filter without an operator', () => {
    const issues = issuesOf(
      withCalculation({
        type: 'aggregate',
        dataset: 'ads',
        aggregate: 'count',
        filter: { and: [{ field: 'channel' }] },
      }),
    );
    expect(issues[0]?.path).toEqual(['calculation', 'filter', 'and', 0]);
  });

  it('rejects an aggregation without the field it needs', () => {
    expect(issuesOf(withCalculation({ type: 'aggregate', dataset: 'ads', aggregate: 'avg' }))).toEqual([
      { path: ['calculation', 'field'], message: 'aggregate avg needs a field' },
    ]);
  });

  it('rejects a percentile aggregation without its percentile', () => {
    expect(
      issuesOf(withCalculation({ type: 'aggregate', dataset: 'ads', aggregate: 'percentile', field: 'ms' })),
    ).toEqual([{ path: ['calculation', 'percentile'], message: 'aggregate percentile needs a percentile (0-100]' }]);
  });

  it('rejects an expression naming a measure that is not defined', () => {
    const issues = issuesOf(
      withCalculation({
        type: 'arithmetic',
        expression: 'revenue / spend',
        measures: { revenue: { dataset: 'ads', aggregate: 'sum', field: 'revenue' } },
      }),
    );
    expect(issues).toEqual([{ path: ['calculation', 'expression'], message: '"spend" is not one of the measures' }]);
  });

  it('rejects an expression with a syntax error, saying where', () => {
    const issues = issuesOf(
      withCalculation({
        type: 'arithmetic',
        expression: 'revenue /',
        measures: { revenue: { dataset: 'ads', aggregate: 'sum', field: 'revenue' } },
      }),
    );
    expect(issues).toEqual([
      { path: ['calculation', 'expression'], message: 'unexpected end of expression at character 10' },
    ]);
  });

  it('rejects an unknown calculation type, listing the known ones', () => {
    expect(issuesOf(withCalculation({ type: 'median', dataset: 'ads' }))[0]?.message).toMatch(
      /^must be one of aggregate, ratio, arithmetic, duration, conversion, entity_duration, treatment_lift, change, streak/,
    );
  });

  it('rejects a window that is not a duration', () => {
    const issues = issuesOf(
      withCalculation(
        {
          type: 'conversion',
          base: { dataset: 'ads', entityKey: 'lead' },
          conversion: { dataset: 'ads', entityKey: 'lead' },
          window: '7 days',
        },
        [{ id: 'ads', timeField: 'ts' }],
      ),
    );
    expect(issues).toEqual([
      { path: ['calculation', 'window'], message: 'must be a duration such as 90s, 5m, 1h, 30d or 2w' },
    ]);
  });

  it('rejects a duration placed at its start without a window', () => {
    const issues = issuesOf(
      withCalculation({
        type: 'entity_duration',
        start: { dataset: 'ads', entityKey: 'lead' },
        end: { dataset: 'ads', entityKey: 'lead' },
        placeBy: 'start',
        statistic: 'avg',
      }),
    );
    expect(issues).toEqual([
      { path: ['calculation', 'window'], message: 'placeBy start needs a window, so that a period can be final' },
    ]);
  });

  it('rejects thresholds that contradict the direction', () => {
    const issues = issuesOf({
      ...valid,
      target: {
        direction: 'lower_is_better',
        value: 300,
        description: 'fast',
        thresholds: { green: 300, yellow: 200 },
      },
    });
    expect(issues).toEqual([
      {
        path: ['target', 'thresholds', 'yellow'],
        message: 'when lower is better, the yellow threshold must not be below the green one',
      },
    ]);
  });

  it('rejects a yellow band that does not contain the green band', () => {
    const issues = issuesOf({
      ...valid,
      target: {
        direction: 'within_band',
        value: { min: 0.08, max: 0.12 },
        description: '8 to 12 %',
        thresholds: { green: { min: 0.08, max: 0.12 }, yellow: { min: 0.09, max: 0.15 } },
      },
    });
    expect(issues).toEqual([
      { path: ['target', 'thresholds', 'yellow'], message: 'the yellow band must contain the green band' },
    ]);
  });

  it('rejects a level of decision other than low, high or critical', () => {
    const issues = issuesOf({ ...valid, guardrail: { levelOfDecision: 'medium', useCase: 'campaign_optimization' } });
    expect(issues).toEqual([
      { path: ['guardrail', 'levelOfDecision'], message: 'must be one of "low", "high", "critical"' },
    ]);
  });

  it('rejects an unknown key, naming it', () => {
    expect(issuesOf({ ...valid, treshold: 3 })).toEqual([{ path: [], message: 'unknown key "treshold"' }]);
  });

  it('rejects a dimension listed twice', () => {
    expect(issuesOf({ ...valid, dimensions: ['channel', { name: 'channel', field: 'utm_channel' }] })).toEqual([
      { path: ['dimensions', 1], message: 'dimension channel is listed twice' },
    ]);
  });

  it('rejects a guardrail that takes its agent from a dimension the KPI does not have', () => {
    const issues = issuesOf({
      ...valid,
      guardrail: { levelOfDecision: 'high', useCase: 'agent_platform', agentFromDimension: 'agent_id' },
    });
    expect(issues).toEqual([
      { path: ['guardrail', 'agentFromDimension'], message: 'agent_id is not one of the dimensions' },
    ]);
  });

  it('rejects a currency KPI without its currency', () => {
    expect(issuesOf({ ...valid, unit: 'currency' })).toEqual([
      { path: ['currency'], message: 'unit currency needs a currency code, e.g. USD' },
    ]);
  });
});
