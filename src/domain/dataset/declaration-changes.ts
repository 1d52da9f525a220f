// Domain (define): what changed between two versions of a dataset declaration, said the way a data
// owner thinks of it: fields added, removed or retyped, validation tightened or loosened, renames,
// defaults. Built on the semantic diff of definitions (key order and formatting never count).

import { parseDuration } from '../definition/duration';
import { type ChangeImpact, type DefinitionChange, diffDefinitions } from '../versioning/semantic-diff';
import type { DatasetDeclaration } from './declaration';

/** What a change does to the rows the declaration accepts or to the records it makes. */
export type DeclarationEffect =
  /** A field appears (new column read) or disappears from every record. */
  | 'field_added'
  | 'field_removed'
  /** A field's type changed: the records carry another kind of value. */
  | 'retyped'
  /** Fewer rows pass (a value no longer accepted, a bound raised, a field made required…). */
  | 'tightened'
  /** More rows pass (a value newly accepted, a default for a missing value…). */
  | 'loosened'
  | 'renamed'
  | 'default'
  /** Anything else about records or reading (format, derived fields, event time, key). */
  | 'changed'
  /** Who answers for the dataset and receives its freshness notices. */
  | 'owner'
  /** When the freshness check warns and fails: `freshness.warnAfter` shortened is stricter. */
  | 'freshness_tightened'
  | 'freshness_loosened'
  /** Expected freshness added, removed or `expectedEvery` changed. */
  | 'freshness'
  /** Description: nothing a record holds. */
  | 'metadata';

export interface DeclarationChange extends DefinitionChange {
  readonly effect: DeclarationEffect;
}

/** What a change under each top-level key of a declaration affects. */
export const DECLARATION_FIELD_IMPACT: Readonly<Record<string, ChangeImpact>> = {
  id: 'calculation',
  files: 'calculation',
  format: 'calculation',
  nullValues: 'calculation',
  fields: 'calculation',
  renames: 'calculation',
  constants: 'calculation',
  derived: 'calculation',
  eventTime: 'calculation',
  key: 'calculation',
  ingestion: 'schedule',
  freshness: 'governance',
  owner: 'metadata',
  description: 'metadata',
  $schema: 'metadata',
};

/**
 * The changes from `before` to `after`, each with its effect.
 *
 * @example
 * describeDeclarationChanges(v1, { ...v1, fields: { ...v1.fields, bounced: { ...bounced, default: 'false' } } })
 * // [{ path: 'fields.bounced.default', kind: 'added', after: 'false', effect: 'loosened', ... }]
 */
export function describeDeclarationChanges(before: DatasetDeclaration, after: DatasetDeclaration): DeclarationChange[] {
  const diff = diffDefinitions(before, after, { fieldImpact: DECLARATION_FIELD_IMPACT });
  return diff.changes.map((change) => ({ ...change, effect: effectOf(change) }));
}

function effectOf(change: DefinitionChange): DeclarationEffect {
  const path = change.path.split('.');
  const [section, name, option] = path;
  if (section === 'owner') return 'owner';
  if (section === 'freshness') return freshnessEffect(change, name);
  if (change.impact === 'metadata' || change.impact === 'governance') return 'metadata';
  if (section === 'renames') return 'renamed';
  if (section !== 'fields' || name === undefined) {
    if (section === 'nullValues') return change.kind === 'added' ? 'loosened' : 'changed';
    return 'changed';
  }
  if (option === undefined) {
    if (change.kind === 'added') return 'field_added';
    if (change.kind === 'removed') return 'field_removed';
    return 'changed';
  }
  switch (option) {
    case 'type':
      return 'retyped';
    case 'default':
      return change.kind === 'added' ? 'loosened' : change.kind === 'removed' ? 'tightened' : 'default';
    case 'enum':
    case 'trueValues':
    case 'falseValues':
    case 'nullValues':
      // A list of plain values: the diff reports each value that came or went.
      if (change.kind === 'added') return 'loosened';
      if (change.kind === 'removed') return 'tightened';
      return 'changed';
    case 'required':
      return change.after === true ? 'tightened' : 'loosened';
    case 'min':
    case 'minLength':
      return bound(change, 'lower');
    case 'max':
    case 'maxLength':
      return bound(change, 'upper');
    case 'pattern':
      return change.kind === 'added' ? 'tightened' : change.kind === 'removed' ? 'loosened' : 'changed';
    default:
      return 'changed';
  }
}

/** A shorter `warnAfter` or `failAfter` makes the check warn or fail sooner. */
function freshnessEffect(change: DefinitionChange, limit: string | undefined): DeclarationEffect {
  if ((limit !== 'warnAfter' && limit !== 'failAfter') || change.kind !== 'changed') return 'freshness';
  const before = typeof change.before === 'string' ? parseDuration(change.before) : undefined;
  const after = typeof change.after === 'string' ? parseDuration(change.after) : undefined;
  if (before === undefined || after === undefined || before === after) return 'freshness';
  return after < before ? 'freshness_tightened' : 'freshness_loosened';
}

function bound(change: DefinitionChange, side: 'lower' | 'upper'): DeclarationEffect {
  if (change.kind === 'added') return 'tightened';
  if (change.kind === 'removed') return 'loosened';
  if (typeof change.before !== 'number' || typeof change.after !== 'number') return 'changed';
  const raised = change.after > change.before;
  return (side === 'lower') === raised ? 'tightened' : 'loosened';
}

/** One line per change, for the CLI: `~ fields.bounced.default: + "false" [loosened]`. */
export function describeDeclarationChangeLines(changes: readonly DeclarationChange[]): string[] {
  const show = (value: unknown) => JSON.stringify(value);
  return changes.map((c) => {
    const label = c.effect.replaceAll('_', ' ');
    switch (c.kind) {
      case 'added':
        return `+ ${c.path}: ${show(c.after)} [${label}]`;
      case 'removed':
        return `- ${c.path}: ${show(c.before)} [${label}]`;
      case 'reordered':
        return `~ ${c.path}: reordered [${label}]`;
      default:
        return `~ ${c.path}: ${show(c.before)} → ${show(c.after)} [${label}]`;
    }
  });
}
