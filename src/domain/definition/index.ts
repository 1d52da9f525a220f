// Domain: KPI definitions, their schema and validation.
export { DURATION_UNIT_MILLIS, durationMillis, parseDuration } from './duration';
export {
  DefinitionError,
  formatIssue,
  formatPath,
  IncompatibleStateError,
  type ValidationIssue,
} from './errors';
export { type Expression, evaluateExpression, parseExpression } from './expression';
export { KPI_DEFINITION_SCHEMA_PATH, kpiDefinitionJsonSchema, kpiDefinitionJsonSchemaText } from './json-schema';
export { issuesOf, parseDefinition } from './parse';
export * from './schema';
