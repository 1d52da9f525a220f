import { describe, expect, it } from 'vitest';
import { type DatasetDeclaration, validateDatasetDeclaration } from '../../../src/domain/dataset';
import { describeDeclarationChanges } from '../../../src/domain/dataset/declaration-changes';
import type { DefinitionState } from '../../../src/ports/definition-store';
import { ActiveDatasets } from '../../../src/usecases/active-datasets';
import { refusalOf } from '../../../src/usecases/declaration-impact';

const base = validateDatasetDeclaration(
  {
    id: 'leads',
    description: 'leads',
    owner: 'sales@example.com',
    format: { type: 'csv' },
    fields: {
      lead_id: { type: 'string', required: true },
      stage: { type: 'string', enum: ['new', 'won'] },
      score: { type: 'number', min: 0 },
      created_at: { type: 'timestamp', required: true },
    },
    eventTime: 'created_at',
  },
  'leads.yaml',
);

const changed = (edit: (fields: Record<string, Record<string, unknown>>) => void, extra: object = {}) => {
  const fields = structuredClone(base.fields) as unknown as Record<string, Record<string, unknown>>;
  edit(fields);
  return validateDatasetDeclaration({ ...base, ...extra, fields }, 'leads.yaml');
};

const effects = (after: DatasetDeclaration) =>
  describeDeclarationChanges(base, after).map((c) => `${c.path} ${c.kind} ${c.effect}`);

describe('describeDeclarationChanges', () => {
  it('says a field was added, removed or retyped', () => {
    expect(effects(changed((f) => Object.assign(f, { region: { type: 'string' } })))).toEqual([
      'fields.region added field_added',
    ]);
    expect(effects(changed((f) => delete f.score))).toEqual(['fields.score removed field_removed']);
    expect(effects(changed((f) => Object.assign(f, { score: { type: 'integer', min: 0 } })))).toContain(
      'fields.score.type changed retyped',
    );
  });

  it('says whether validation was tightened or loosened', () => {
    expect(effects(changed((f) => Object.assign(f.stage as object, { enum: ['new', 'won', 'lost'] })))).toEqual([
      'fields.stage.enum added loosened',
    ]);
    expect(effects(changed((f) => Object.assign(f.stage as object, { enum: ['won'] })))).toEqual([
      'fields.stage.enum removed tightened',
    ]);
    expect(effects(changed((f) => Object.assign(f.score as object, { min: 10 })))).toEqual([
      'fields.score.min changed tightened',
    ]);
    expect(effects(changed((f) => Object.assign(f.score as object, { max: 100 })))).toEqual([
      'fields.score.max added tightened',
    ]);
    expect(effects(changed((f) => Object.assign(f.stage as object, { required: true })))).toEqual([
      'fields.stage.required changed tightened',
    ]);
    expect(effects(changed((f) => Object.assign(f.stage as object, { default: 'new' })))).toEqual([
      'fields.stage.default added loosened',
    ]);
  });

  it('reports renames, and owner changes as such', () => {
    expect(effects(changed(() => undefined, { renames: { 'Lead ID': 'lead_id' } }))).toEqual([
      'renames.Lead ID added renamed',
    ]);
    expect(effects(changed(() => undefined, { owner: 'revops@example.com' }))).toEqual(['owner changed owner']);
  });
});

describe('ActiveDatasets', () => {
  const deployed = new Map([['leads', { declaration: base, dataset: { id: 'leads' } as never }]]);
  const state = (declaration: DatasetDeclaration, version: number, status: 'active' | 'retired') =>
    ({
      id: declaration.id,
      status,
      version,
      hash: `h${version}`,
      definition: declaration,
    }) as DefinitionState<DatasetDeclaration>;

  it('reads the deployed declaration of a dataset never published, with no version', async () => {
    const active = new ActiveDatasets({ deployed, clock: { now: () => 0 }, store: { list: async () => [] } });
    expect((await active.resolve()).get('leads')?.version).toBeNull();
  });

  it('prefers the version in force, skips a retired dataset, and caches for the TTL unless asked fresh', async () => {
    let now = 0;
    let published: DefinitionState<DatasetDeclaration>[] = [
      state(
        changed(() => undefined, { owner: 'x@example.com' }),
        2,
        'active',
      ),
    ];
    const active = new ActiveDatasets({
      deployed,
      clock: { now: () => now },
      ttlMillis: 1000,
      store: { list: async (status) => published.filter((p) => p.status === status) },
    });
    expect((await active.resolve()).get('leads')?.version).toBe(2);
    published = [state(base, 2, 'retired')];
    now = 500;
    expect((await active.resolve()).get('leads')?.version).toBe(2);
    expect((await active.resolve(true)).has('leads')).toBe(false);
    published = [state(base, 3, 'active')];
    now = 2000;
    expect((await active.resolve()).get('leads')?.declaration.owner).toBe('sales@example.com');
  });
});

describe('refusalOf', () => {
  const before = new Set(Object.keys(base.fields));
  const record = { lead_id: 'l1', stage: 'won', score: 5, created_at: 0 };

  it('accepts a record the proposal still allows', () => {
    expect(refusalOf(record, base, before)).toBeNull();
  });

  it('refuses a value outside a tightened enum or range, and a type the field no longer reads', () => {
    expect(
      refusalOf(
        record,
        changed((f) => Object.assign(f.stage as object, { enum: ['new'] })),
        before,
      ),
    ).toEqual({
      field: 'stage',
      code: 'not_in_enum',
    });
    expect(
      refusalOf(
        record,
        changed((f) => Object.assign(f.score as object, { min: 10 })),
        before,
      ),
    ).toEqual({
      field: 'score',
      code: 'out_of_range',
    });
    expect(
      refusalOf(
        { ...record, score: 5.5 },
        changed((f) => Object.assign(f, { score: { type: 'integer' } })),
        before,
      ),
    ).toEqual({ field: 'score', code: 'invalid_integer' });
  });

  it('refuses a missing value of a field made required, but never judges a field not read before', () => {
    expect(
      refusalOf(
        { ...record, stage: null },
        changed((f) => Object.assign(f.stage as object, { required: true })),
        before,
      ),
    ).toEqual({ field: 'stage', code: 'missing_required' });
    expect(
      refusalOf(
        record,
        changed((f) => Object.assign(f, { region: { type: 'string', required: true } })),
        before,
      ),
    ).toBeNull();
  });
});
