// Domain: checking a definition against the datasets it reads: every dataset declared, every field it
// names present, and of a type the calculation can use (a sum over text, a filter comparing a number
// with a word, a time field that is not a timestamp, a filter on a value the field never holds are
// caught before anything is computed).
import type { ValidationIssue } from './errors';
import type { Calculation, EntityStep, Filter, KpiDefinition, Measure } from './schema';

/** The type of a field of a dataset's records, as far as a definition is concerned. */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'timestamp' | 'unknown';

/** A field with the only values it can hold: a declared `enum`, or a constant. */
export interface EnumeratedField {
  readonly kind: FieldKind;
  /** Every value a record can hold in this field (besides none). */
  readonly values: readonly string[];
}

/** Fields of one dataset's records, by name: their kind, or their kind and values. */
export type DatasetFields = Readonly<Record<string, FieldKind | EnumeratedField>>;

type Path = readonly (string | number)[];

const NUMERIC: readonly FieldKind[] = ['number', 'integer', 'unknown'];

/**
 * Problems of a definition against the fields of the datasets it reads (empty when it fits).
 * Paths point inside the definition file.
 */
export function checkDefinitionFields(
  definition: KpiDefinition,
  datasets: ReadonlyMap<string, DatasetFields>,
): ValidationIssue[] {
  const checks = new FieldChecks(datasets);
  definition.datasets.forEach((use, index) => {
    if (!datasets.has(use.id)) {
      checks.problem(
        ['datasets', index, 'id'],
        `no declaration of dataset ${use.id} among ${[...datasets.keys()].sort().join(', ') || 'none'}`,
      );
      return;
    }
    checks.needTimestamp(use.id, use.timeField, ['datasets', index, 'timeField']);
  });
  checkCalculation(definition.calculation, ['calculation'], checks);
  definition.dimensions.forEach((dimension, index) => {
    for (const dataset of checks.dimensionDatasets) {
      const field =
        typeof dimension === 'string' ? dimension : (dimension.fields?.[dataset] ?? dimension.field ?? dimension.name);
      checks.fieldOf(dataset, field, ['dimensions', index]);
    }
  });
  return dedupe(checks.issues);
}

/** The issues found so far, and the checks of the parts a calculation is made of. */
class FieldChecks {
  readonly issues: ValidationIssue[] = [];
  /** Datasets whose records carry the dimensions (the start side only, for entity joins). */
  readonly dimensionDatasets = new Set<string>();
  constructor(private readonly datasets: ReadonlyMap<string, DatasetFields>) {}

  problem(path: Path, message: string): void {
    this.issues.push({ path, message });
  }

  /** The kind of a field, reporting a field the dataset lacks; undefined for an undeclared dataset or field. */
  fieldOf(dataset: string, field: string, path: Path): FieldKind | undefined {
    const fields = this.datasets.get(dataset);
    if (fields === undefined) return undefined; // reported once, on the datasets list
    const entry = fields[field];
    if (entry === undefined) {
      const known = Object.keys(fields).sort();
      this.problem(path, `dataset ${dataset} has no field "${field}" (it has ${known.join(', ')})`);
    }
    return typeof entry === 'object' ? entry.kind : entry;
  }

  /** A value compared with a field of known values must be one of them (a typo matches nothing). */
  checkValues(dataset: string, field: string, values: readonly unknown[], path: Path): void {
    const entry = this.datasets.get(dataset)?.[field];
    if (entry === undefined || typeof entry !== 'object') return;
    for (const value of values) {
      if (typeof value !== 'string' || entry.values.includes(value)) continue;
      this.problem(path, notAValue(`${dataset}.${field}`, value, entry.values));
    }
  }

  needTimestamp(dataset: string, field: string, path: Path): void {
    const kind = this.fieldOf(dataset, field, path);
    if (kind !== undefined && kind !== 'timestamp' && kind !== 'unknown') {
      this.problem(path, `${dataset}.${field} is ${a(kind)} field, not a timestamp`);
    }
  }

  filter(dataset: string, filter: Filter | undefined, path: Path): void {
    if (filter === undefined) return;
    for (const [i, inner] of (filter.and ?? []).entries()) this.filter(dataset, inner, [...path, 'and', i]);
    for (const [i, inner] of (filter.or ?? []).entries()) this.filter(dataset, inner, [...path, 'or', i]);
    if (filter.not) this.filter(dataset, filter.not, [...path, 'not']);
    if (filter.field === undefined) return;
    const kind = this.fieldOf(dataset, filter.field, [...path, 'field']);
    if (kind === undefined || kind === 'unknown') return;
    for (const operator of ['eq', 'ne', 'in', 'not_in', 'lt', 'lte', 'gt', 'gte'] as const) {
      const operand = filter[operator];
      if (operand !== undefined) this.comparison(dataset, filter.field, kind, operator, operand, [...path, operator]);
    }
  }

  /** One operator of a filter on a field of `kind`: operands of the field's type, known values, a usable operator. */
  private comparison(
    dataset: string,
    field: string,
    kind: FieldKind,
    operator: 'eq' | 'ne' | 'in' | 'not_in' | 'lt' | 'lte' | 'gt' | 'gte',
    operand: unknown,
    path: Path,
  ): void {
    const operands = Array.isArray(operand) ? operand : [operand];
    const expected = kind === 'string' ? 'string' : kind === 'boolean' ? 'boolean' : 'number';
    for (const value of operands) {
      if (typeof value === expected) continue;
      const hint = kind === 'timestamp' ? ' (timestamps are epoch milliseconds)' : '';
      this.problem(
        path,
        `${dataset}.${field} is ${a(kind)} field: compare it with a ${expected}${hint}, not ${JSON.stringify(value)}`,
      );
    }
    if (kind === 'boolean' && ['lt', 'lte', 'gt', 'gte'].includes(operator)) {
      this.problem(path, `${dataset}.${field} is a boolean field: use eq or ne`);
    }
    if (['eq', 'ne', 'in', 'not_in'].includes(operator)) this.checkValues(dataset, field, operands, path);
  }

  measure(measure: Measure, path: Path): void {
    this.filter(measure.dataset, measure.filter, [...path, 'filter']);
    if (measure.timeField !== undefined) this.needTimestamp(measure.dataset, measure.timeField, [...path, 'timeField']);
    if (measure.field === undefined) return;
    const kind = this.fieldOf(measure.dataset, measure.field, [...path, 'field']);
    if (kind === undefined || measure.aggregate === 'count' || measure.aggregate === 'count_distinct') return;
    const allowed = measure.aggregate === 'min' || measure.aggregate === 'max' ? [...NUMERIC, 'timestamp'] : NUMERIC;
    if (!allowed.includes(kind)) {
      this.problem(
        [...path, 'field'],
        `${measure.aggregate} needs numbers, but ${measure.dataset}.${measure.field} is ${a(kind)} field`,
      );
    }
  }

  step(step: EntityStep, path: Path): void {
    this.filter(step.dataset, step.filter, [...path, 'filter']);
    this.fieldOf(step.dataset, step.entityKey, [...path, 'entityKey']);
    if (step.timeField !== undefined) this.needTimestamp(step.dataset, step.timeField, [...path, 'timeField']);
  }
}

type CalculationType = Calculation['type'];
type CalculationOf<T extends CalculationType> = Extract<Calculation, { type: T }>;

/** How the fields of one calculation type are checked. */
type CalculationCheck<C> = (calc: C, path: Path, checks: FieldChecks) => void;

/** One check per calculation type. */
const CALCULATION_CHECKS: { readonly [T in CalculationType]: CalculationCheck<CalculationOf<T>> } = {
  aggregate(calc, path, checks) {
    checks.measure(calc, path);
    checks.dimensionDatasets.add(calc.dataset);
  },
  ratio(calc, path, checks) {
    checks.measure(calc.numerator, [...path, 'numerator']);
    checks.measure(calc.denominator, [...path, 'denominator']);
    checks.dimensionDatasets.add(calc.numerator.dataset).add(calc.denominator.dataset);
  },
  arithmetic(calc, path, checks) {
    for (const [name, measure] of Object.entries(calc.measures)) {
      checks.measure(measure, [...path, 'measures', name]);
      checks.dimensionDatasets.add(measure.dataset);
    }
  },
  duration(calc, path, checks) {
    checks.filter(calc.dataset, calc.filter, [...path, 'filter']);
    checks.needTimestamp(calc.dataset, calc.start, [...path, 'start']);
    checks.needTimestamp(calc.dataset, calc.end, [...path, 'end']);
    if (calc.timeField !== undefined) checks.needTimestamp(calc.dataset, calc.timeField, [...path, 'timeField']);
    checks.dimensionDatasets.add(calc.dataset);
  },
  conversion(calc, path, checks) {
    checks.step(calc.base, [...path, 'base']);
    checks.step(calc.conversion, [...path, 'conversion']);
    checks.dimensionDatasets.add(calc.base.dataset);
  },
  entity_duration(calc, path, checks) {
    checks.step(calc.start, [...path, 'start']);
    checks.step(calc.end, [...path, 'end']);
    checks.dimensionDatasets.add(calc.start.dataset);
  },
  treatment_lift(calc, path, checks) {
    checkCalculation(calc.of, [...path, 'of'], checks);
    const readers =
      calc.of.type === 'conversion'
        ? [calc.of.base.dataset]
        : calc.of.type === 'entity_duration'
          ? [calc.of.start.dataset]
          : datasetsOf(calc.of);
    for (const dataset of readers) {
      checks.fieldOf(dataset, calc.field, [...path, 'field']);
      for (const side of ['treatment', 'control'] as const) {
        const group = calc[side];
        checks.checkValues(dataset, calc.field, Array.isArray(group) ? group : [group], [...path, side]);
      }
    }
  },
  change: (calc, path, checks) => checkCalculation(calc.of, [...path, 'of'], checks),
  streak: (calc, path, checks) => checkCalculation(calc.of, [...path, 'of'], checks),
};

/** Checks a calculation (and those it is built on) by its type's check. */
function checkCalculation<T extends CalculationType>(
  calc: CalculationOf<T> & { readonly type: T },
  path: Path,
  checks: FieldChecks,
): void {
  const check: CalculationCheck<CalculationOf<T>> = CALCULATION_CHECKS[calc.type];
  check(calc, path, checks);
}

/**
 * `"won" is never a value of crm.stage (its values: Prospecting, Won, Lost); did you mean "Won"?`. The suggestion
 * is the value that differs only by case, else the nearest by edits (at most a third of the letters).
 */
export function notAValue(field: string, value: string, values: readonly string[]): string {
  const listed = values.length <= 12 ? values.join(', ') : `${values.slice(0, 12).join(', ')}, …`;
  const base = `"${value}" is never a value of ${field} (its values: ${listed})`;
  const suggestion = nearestValue(value, values);
  return suggestion === undefined ? base : `${base}; did you mean "${suggestion}"?`;
}

function nearestValue(value: string, values: readonly string[]): string | undefined {
  const folded = value.toLowerCase();
  const sameLetters = values.find((candidate) => candidate.toLowerCase() === folded);
  if (sameLetters !== undefined) return sameLetters;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(value.length / 3)) + 1;
  for (const candidate of values) {
    const distance = editDistance(folded, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** `a number`, `an integer`. */
function a(kind: FieldKind): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

function datasetsOf(calc: Calculation): string[] {
  switch (calc.type) {
    case 'aggregate':
    case 'duration':
      return [calc.dataset];
    case 'ratio':
      return [calc.numerator.dataset, calc.denominator.dataset];
    case 'arithmetic':
      return Object.values(calc.measures).map((m) => m.dataset);
    default:
      return [];
  }
}

function dedupe(issues: ValidationIssue[]): ValidationIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path.join('.')}|${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
