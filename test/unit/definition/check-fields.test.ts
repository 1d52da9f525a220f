import { describe, expect, it } from 'vitest';
import { checkDefinitionFields, type DatasetFields } from '../../../src/domain/definition/check-fields';
import { definition } from '../../support/definitions';

const ads: DatasetFields = { ts: 'timestamp', campaign: 'string', clicks: 'integer', spend: 'number', paid: 'boolean' };
const catalog = new Map([['ads', ads]]);

describe('checking a definition against its datasets', () => {
  it('finds nothing wrong with a definition that fits', () => {
    const kpi = definition({
      datasets: [{ id: 'ads', timeField: 'ts' }],
      calculation: {
        type: 'aggregate',
        dataset: 'ads',
        aggregate: 'sum',
        field: 'spend',
        filter: { field: 'paid', eq: true },
      },
      dimensions: ['campaign'],
    });
    expect(checkDefinitionFields(kpi, catalog)).toEqual([]);
  });

  it('reports a dataset that is not declared', () => {
    const kpi = definition({
      datasets: [{ id: 'crm', timeField: 'ts' }],
      calculation: { type: 'aggregate', dataset: 'crm', aggregate: 'count' },
    });
    expect(checkDefinitionFields(kpi, catalog)).toEqual([
      { path: ['datasets', 0, 'id'], message: 'no declaration of dataset crm among ads' },
    ]);
  });

  it('reports a field the dataset does not have, listing the ones it has', () => {
    const kpi = definition({
      datasets: [{ id: 'ads', timeField: 'ts' }],
      calculation: { type: 'aggregate', dataset: 'ads', aggregate: 'sum', field: 'cost' },
    });
    expect(checkDefinitionFields(kpi, catalog)).toEqual([
      {
        path: ['calculation', 'field'],
        message: 'dataset ads has no field "cost" (it has campaign, clicks, paid, spend, ts)',
      },
    ]);
  });

  it('reports a sum over text', () => {
    const kpi = definition({
      datasets: [{ id: 'ads', timeField: 'ts' }],
      calculation: { type: 'aggregate', dataset: 'ads', aggregate: 'sum', field: 'campaign' },
    });
    expect(checkDefinitionFields(kpi, catalog)[0]?.message).toBe(
      'sum needs numbers, but ads.campaign is a string field',
    );
  });

  it('reports a time field that is not a timestamp', () => {
    const kpi = definition({
      datasets: [{ id: 'ads', timeField: 'clicks' }],
      calculation: { type: 'aggregate', dataset: 'ads', aggregate: 'count' },
    });
    expect(checkDefinitionFields(kpi, catalog)).toEqual([
      { path: ['datasets', 0, 'timeField'], message: 'ads.clicks is an integer field, not a timestamp' },
    ]);
  });

  it('reports a filter comparing a boolean with text', () => {
    const kpi = definition({
      datasets: [{ id: 'ads', timeField: 'ts' }],
      calculation: { type: 'aggregate', dataset: 'ads', aggregate: 'count', filter: { field: 'paid', eq: 'yes' } },
    });
    expect(checkDefinitionFields(kpi, catalog)[0]).toEqual({
      path: ['calculation', 'filter', 'eq'],
      message: 'ads.paid is a boolean field: compare it with a boolean, not "yes"',
    });
  });

  it('reports a dimension missing from one of the datasets a ratio reads', () => {
    const kpi = definition({
      datasets: [
        { id: 'ads', timeField: 'ts' },
        { id: 'crm', timeField: 'ts' },
      ],
      calculation: {
        type: 'ratio',
        numerator: { dataset: 'crm', aggregate: 'count' },
        denominator: { dataset: 'ads', aggregate: 'count' },
      },
      dimensions: ['campaign'],
    });
    const issues = checkDefinitionFields(kpi, new Map([...catalog, ['crm', { ts: 'timestamp' } as DatasetFields]]));
    expect(issues).toEqual([{ path: ['dimensions', 0], message: 'dataset crm has no field "campaign" (it has ts)' }]);
  });
});

describe('filter values against the values a field can hold', () => {
  const crm: DatasetFields = {
    closed_at: 'timestamp',
    stage: { kind: 'string', values: ['Prospecting', 'Engaging', 'Won', 'Lost'] },
    source_system: { kind: 'string', values: ['maven_crm'] },
    variant: { kind: 'string', values: ['agent', 'control'] },
  };
  const deals = (filter: unknown) =>
    definition({
      datasets: [{ id: 'crm', timeField: 'closed_at' }],
      calculation: { type: 'aggregate', dataset: 'crm', aggregate: 'count', filter },
    });
  const check = (filter: unknown) => checkDefinitionFields(deals(filter), new Map([['crm', crm]]));

  it('rejects a value outside the enum and suggests the one that differs only by case', () => {
    expect(check({ field: 'stage', eq: 'won' })).toEqual([
      {
        path: ['calculation', 'filter', 'eq'],
        message:
          '"won" is never a value of crm.stage (its values: Prospecting, Engaging, Won, Lost); did you mean "Won"?',
      },
    ]);
  });

  it('suggests the nearest value for a typo', () => {
    expect(check({ field: 'stage', in: ['Won', 'Losst'] })[0]?.message).toMatch(
      /"Losst" is never .*did you mean "Lost"\?$/,
    );
  });

  it('lists the values without a guess when none is near', () => {
    expect(check({ field: 'stage', ne: 'closed' })[0]?.message).toBe(
      '"closed" is never a value of crm.stage (its values: Prospecting, Engaging, Won, Lost)',
    );
  });

  it('checks values nested in and / or / not, and a constant field', () => {
    const issues = check({ and: [{ not: { field: 'stage', eq: 'WON' } }, { field: 'source_system', eq: 'maven' }] });
    expect(issues.map((i) => i.path.join('.'))).toEqual([
      'calculation.filter.and.0.not.eq',
      'calculation.filter.and.1.eq',
    ]);
  });

  it('accepts values of the enum', () => {
    expect(check({ field: 'stage', in: ['Won', 'Lost'] })).toEqual([]);
  });

  it('checks the treatment and control values of a lift', () => {
    const lift = definition({
      datasets: [{ id: 'crm', timeField: 'closed_at' }],
      calculation: {
        type: 'treatment_lift',
        field: 'variant',
        treatment: 'Agent',
        control: 'control',
        of: { type: 'aggregate', dataset: 'crm', aggregate: 'count' },
      },
    });
    expect(checkDefinitionFields(lift, new Map([['crm', crm]]))).toEqual([
      {
        path: ['calculation', 'treatment'],
        message: '"Agent" is never a value of crm.variant (its values: agent, control); did you mean "agent"?',
      },
    ]);
  });
});
