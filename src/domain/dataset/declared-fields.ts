// Domain: the fields a dataset declaration gives its records, as KPI definitions see them (kinds, and
// the values a field can hold where they are known), to check a definition against a declaration.
import type { DatasetFields, EnumeratedField, FieldKind } from '../definition/check-fields';
import type { DatasetDeclaration } from './declaration';

/**
 * The fields of a declared dataset's records, with their kinds: declared, constants and derived;
 * with their values where they are known (an `enum`, a text constant).
 */
export function declaredFieldsOf(declaration: DatasetDeclaration): DatasetFields {
  const fields: Record<string, FieldKind | EnumeratedField> = {};
  for (const [name, field] of Object.entries(declaration.fields)) {
    fields[name] = field.type === 'string' && field.enum ? { kind: 'string', values: field.enum } : field.type;
  }
  for (const [name, value] of Object.entries(declaration.constants ?? {})) {
    fields[name] =
      value === null
        ? 'unknown'
        : typeof value === 'string'
          ? { kind: 'string', values: [value] }
          : typeof value === 'number'
            ? 'number'
            : 'boolean';
  }
  for (const [name, derived] of Object.entries(declaration.derived ?? {})) {
    fields[name] =
      derived.kind === 'equals' || derived.kind === 'in' ? 'boolean' : derived.kind === 'concat' ? 'string' : 'unknown';
  }
  return fields;
}
