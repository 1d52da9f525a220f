// Domain (define): what changed between two versions of a definition, field by field and by what it
// affects, rather than line by line. Key order, formatting and the order of set-like lists do not
// count as changes; a reordered list is reported as such.
import { canonicalJson } from './canonical-json';

/**
 * What a change affects: `calculation` changes values (a recompute is due), `evaluation` changes
 * statuses and drift alerts, `schedule` when it runs, `governance` what a violation triggers,
 * `metadata` nothing computed.
 */
export type ChangeImpact = 'calculation' | 'evaluation' | 'schedule' | 'governance' | 'metadata';

export interface DefinitionChange {
  /** Dotted path, with `[key]` for list items matched by id/name and `[i]` by position. */
  readonly path: string;
  readonly kind: 'added' | 'removed' | 'changed' | 'reordered';
  readonly before?: unknown;
  readonly after?: unknown;
  /** For numbers: after − before, to twelve significant digits. */
  readonly delta?: number;
  readonly impact: ChangeImpact;
}

export interface SemanticDiff {
  readonly changes: readonly DefinitionChange[];
  /** The strongest impact present, by the order of {@link IMPACT_ORDER}; null when nothing changed. */
  readonly impact: ChangeImpact | null;
  /** Whether values computed under the old version may differ under the new one. */
  readonly requiresRecompute: boolean;
}

/** Impacts from strongest to weakest. */
export const IMPACT_ORDER: readonly ChangeImpact[] = [
  'calculation',
  'evaluation',
  'governance',
  'schedule',
  'metadata',
];

/** Top-level fields of a KPI definition and what a change to each affects. Unknown fields count as calculation. */
export const DEFAULT_FIELD_IMPACT: Readonly<Record<string, ChangeImpact>> = {
  id: 'calculation',
  calculation: 'calculation',
  dataset: 'calculation',
  datasets: 'calculation',
  filter: 'calculation',
  dimensions: 'calculation',
  grain: 'calculation',
  timestampField: 'calculation',
  target: 'evaluation',
  thresholds: 'evaluation',
  direction: 'evaluation',
  minimumSample: 'evaluation',
  minSample: 'evaluation',
  drift: 'evaluation',
  forecast: 'evaluation',
  calibration: 'governance',
  cadence: 'schedule',
  guardrail: 'governance',
  guardrailPolicy: 'governance',
  levelOfDecision: 'governance',
  policy: 'governance',
  name: 'metadata',
  description: 'metadata',
  category: 'metadata',
  owner: 'metadata',
  tags: 'metadata',
  documentation: 'metadata',
  successCriteria: 'metadata',
  useCase: 'metadata',
};

export interface DiffOptions {
  /** What a change under each top-level field affects. @default DEFAULT_FIELD_IMPACT */
  readonly fieldImpact?: Readonly<Record<string, ChangeImpact>>;
  /** Item fields that identify an object in a list, tried in order. @default ['id', 'name', 'field', 'key'] */
  readonly identityKeys?: readonly string[];
}

/**
 * The semantic difference between two definitions (or any two JSON values).
 *
 * @example
 * diffDefinitions({ thresholds: { red: 0.05 } }, { thresholds: { red: 0.1 } }).changes
 * // [{ path: 'thresholds.red', kind: 'changed', before: 0.05, after: 0.1, delta: 0.05, impact: 'evaluation' }]
 */
export function diffDefinitions(before: unknown, after: unknown, options: DiffOptions = {}): SemanticDiff {
  const fieldImpact = options.fieldImpact ?? DEFAULT_FIELD_IMPACT;
  const identityKeys = options.identityKeys ?? ['id', 'name', 'field', 'key'];
  const raw: Omit<DefinitionChange, 'impact'>[] = [];
  compare(normalize(before), normalize(after), [], raw, identityKeys);
  const changes = raw.map((change) => {
    const top = change.path.split(/[.[]/)[0] ?? '';
    return { ...change, impact: fieldImpact[top] ?? 'calculation' };
  });
  const impact = IMPACT_ORDER.find((i) => changes.some((c) => c.impact === i)) ?? null;
  return { changes, impact, requiresRecompute: changes.some((c) => c.impact === 'calculation') };
}

/** One line per change, for the CLI: `~ thresholds.red: 0.05 → 0.1 (+0.05) [evaluation]`. */
export function describeChanges(diff: SemanticDiff): string[] {
  return diff.changes.map((c) => {
    const show = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v));
    switch (c.kind) {
      case 'added':
        return `+ ${c.path}: ${show(c.after)} [${c.impact}]`;
      case 'removed':
        return `- ${c.path}: ${show(c.before)} [${c.impact}]`;
      case 'reordered':
        return `~ ${c.path}: reordered ${show(c.before)} → ${show(c.after)} [${c.impact}]`;
      default: {
        const delta = c.delta === undefined ? '' : ` (${c.delta >= 0 ? '+' : ''}${round(c.delta)})`;
        return `~ ${c.path}: ${show(c.before)} → ${show(c.after)}${delta} [${c.impact}]`;
      }
    }
  });
}

function round(n: number): string {
  return String(Math.round(n * 1e9) / 1e9);
}

/** Drops `undefined` members and turns the value into plain JSON data. */
function normalize(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(canonicalJson(value));
}

type Path = (string | number | { key: string })[];

function render(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'object') out += `[${part.key}]`;
    else out += out ? `.${part}` : part;
  }
  return out || '(root)';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

function compare(
  a: unknown,
  b: unknown,
  path: Path,
  out: Omit<DefinitionChange, 'impact'>[],
  identityKeys: readonly string[],
): void {
  if (same(a, b)) return;
  if (a === undefined) {
    out.push({ path: render(path), kind: 'added', after: b });
    return;
  }
  if (b === undefined) {
    out.push({ path: render(path), kind: 'removed', before: a });
    return;
  }
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const key of keys) compare(a[key], b[key], [...path, key], out, identityKeys);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    compareLists(a, b, path, out, identityKeys);
    return;
  }
  // Twelve significant digits: 0.015 − 0.01 is 0.005 to a reader, not 0.004999….
  const delta = typeof a === 'number' && typeof b === 'number' ? { delta: Number((b - a).toPrecision(12)) } : {};
  out.push({ path: render(path), kind: 'changed', before: a, after: b, ...delta });
}

function compareLists(
  a: unknown[],
  b: unknown[],
  path: Path,
  out: Omit<DefinitionChange, 'impact'>[],
  identityKeys: readonly string[],
): void {
  const counts = (list: unknown[]) => {
    const map = new Map<string, number>();
    for (const item of list) map.set(canonicalJson(item), (map.get(canonicalJson(item)) ?? 0) + 1);
    return map;
  };
  const ca = counts(a);
  const cb = counts(b);
  if (ca.size === cb.size && [...ca].every(([k, n]) => cb.get(k) === n)) {
    out.push({ path: render(path), kind: 'reordered', before: a, after: b });
    return;
  }
  const identity = identityKeys.find((key) =>
    [...a, ...b].every((item) => isObject(item) && typeof item[key] === 'string'),
  );
  if (identity) {
    const byKey = (list: unknown[]) =>
      new Map(list.map((item) => [String((item as Record<string, unknown>)[identity]), item]));
    const ma = byKey(a);
    const mb = byKey(b);
    if (ma.size === a.length && mb.size === b.length) {
      for (const key of [...new Set([...ma.keys(), ...mb.keys()])]) {
        compare(ma.get(key), mb.get(key), [...path, { key }], out, identityKeys);
      }
      return;
    }
  }
  if (a.every((item) => !isObject(item) && !Array.isArray(item)) && b.every((i) => !isObject(i) && !Array.isArray(i))) {
    // A list of plain values: report what came and went, not every shifted position.
    for (const [key, n] of cb) {
      for (let i = ca.get(key) ?? 0; i < n; i += 1)
        out.push({ path: render(path), kind: 'added', after: JSON.parse(key) });
    }
    for (const [key, n] of ca) {
      for (let i = cb.get(key) ?? 0; i < n; i += 1)
        out.push({ path: render(path), kind: 'removed', before: JSON.parse(key) });
    }
    return;
  }
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) compare(a[i], b[i], [...path, i], out, identityKeys);
}
