// Domain: the dataset declaration, one file per dataset. It says where the dataset's files are,
// how they are encoded, and how each row becomes a typed record (types, renames, constants,
// derived fields, validation, event time). The JSON Schema in schemas/dataset.schema.json is
// generated from this zod schema.
import * as z from 'zod';
import { DURATION_PATTERN, durationMillis } from '../definition/duration';
import { type FilePattern, FilePatternError, parseFilePattern } from './path-captures';
import { TIMESTAMP_PRESETS, timestampPatternProblem } from './timestamp';

/** A dataset or field identifier: lowercase letters, digits and underscores, starting with a letter. */
export const IDENTIFIER = /^[a-z][a-z0-9_]*$/;
const identifier = z
  .string()
  .regex(IDENTIFIER, 'must be lowercase letters, digits and underscores, starting with a letter');

/** Values that mean "no value" in text, before typing. */
const nullValues = z
  .array(z.string())
  .describe('Text values that mean "no value" (null), compared after trimming. @default [""]');

const compression = z
  .enum(['auto', 'gzip', 'none'])
  .default('auto')
  .describe('`auto` detects gzip by its magic bytes; `gzip` requires it; `none` reads bytes as they are.');

const encoding = z
  .enum(['utf-8', 'latin1'])
  .default('utf-8')
  .describe('Text encoding. `latin1` reads Windows-1252 / ISO-8859-1 exports. A UTF-8 BOM is skipped.');

const maxRowBytes = z
  .number()
  .int()
  .min(1024)
  .max(64 * 1024 * 1024)
  .default(1024 * 1024)
  .describe(
    'A row longer than this (a CSV row with its quoted line breaks, an NDJSON line, a JSON array element) is quarantined whole, and reading goes on after it. @default 1048576',
  );

export const csvFormatSchema = z
  .object({
    type: z.literal('csv'),
    delimiter: z.string().length(1).default(',').describe('One character between fields, e.g. `,` `;` or a tab.'),
    quote: z.string().length(1).default('"').describe('Quote character; a quote inside a quoted field is doubled.'),
    header: z.boolean().default(true).describe('Whether the first row names the columns.'),
    columns: z
      .array(z.string())
      .min(1)
      .optional()
      .describe('Column names by position, required when `header` is false.'),
    compression,
    encoding,
    maxRowBytes,
  })
  .strict()
  .describe('Comma- (or otherwise) separated values, RFC 4180 quoting.');

export const ndjsonFormatSchema = z
  .object({ type: z.literal('ndjson'), compression, encoding, maxRowBytes })
  .strict()
  .describe('One JSON object per line.');

export const jsonFormatSchema = z
  .object({ type: z.literal('json'), compression, encoding, maxRowBytes })
  .strict()
  .describe('One JSON array of objects, read element by element.');

export const datasetFormatSchema = z.discriminatedUnion('type', [
  csvFormatSchema,
  ndjsonFormatSchema,
  jsonFormatSchema,
]);

const fieldBase = {
  description: z.string().optional(),
  required: z.boolean().default(false).describe('A row without a value for this field is quarantined.'),
  default: z
    .union([z.string(), z.number(), z.boolean()])
    .optional()
    .describe(
      'Value when the source has none (no column, no key, or a null value), written as the source would write it; e.g. an observation date for a snapshot export without timestamps.',
    ),
  trim: z.boolean().default(true).describe('Trim whitespace around text values before typing.'),
  nullValues: nullValues.optional(),
};

export const stringFieldSchema = z
  .object({
    type: z.literal('string'),
    ...fieldBase,
    enum: z.array(z.string()).min(1).optional().describe('Allowed values; anything else is quarantined.'),
    pattern: z.string().optional().describe('A regular expression the whole value must match.'),
    minLength: z.number().int().min(0).optional(),
    maxLength: z.number().int().min(0).optional(),
    case: z.enum(['lower', 'upper']).optional().describe('Normalise the case before validation.'),
  })
  .strict();

export const numberFieldSchema = z
  .object({
    type: z.literal('number'),
    ...fieldBase,
    min: z.number().optional().describe('Smallest allowed value (inclusive).'),
    max: z.number().optional().describe('Largest allowed value (inclusive).'),
    decimalSeparator: z.enum(['.', ',']).default('.').describe('Decimal separator in text values.'),
  })
  .strict();

export const integerFieldSchema = z
  .object({
    type: z.literal('integer'),
    ...fieldBase,
    min: z.number().int().optional(),
    max: z.number().int().optional(),
  })
  .strict();

export const DEFAULT_TRUE_VALUES = ['true', 't', 'yes', 'y', '1'];
export const DEFAULT_FALSE_VALUES = ['false', 'f', 'no', 'n', '0'];

export const booleanFieldSchema = z
  .object({
    type: z.literal('boolean'),
    ...fieldBase,
    trueValues: z.array(z.string()).min(1).optional().describe(`Spellings of true. @default ${DEFAULT_TRUE_VALUES}`),
    falseValues: z.array(z.string()).min(1).optional().describe(`Spellings of false. @default ${DEFAULT_FALSE_VALUES}`),
    caseSensitive: z.boolean().default(false).describe('Compare spellings case-sensitively.'),
  })
  .strict();

export const timestampFieldSchema = z
  .object({
    type: z.literal('timestamp'),
    ...fieldBase,
    format: z
      .string()
      .min(1)
      .default('iso8601')
      .describe(
        `One of ${TIMESTAMP_PRESETS.join(', ')}, or a pattern of YYYY MM M DD D HH H mm ss SSS and literal characters, e.g. "DD/MM/YYYY HH:mm".`,
      ),
    timezone: z
      .string()
      .regex(/^(Z|[+-]\d{2}:\d{2})$/, 'must be Z or an offset like +02:00')
      .default('Z')
      .describe('Offset applied to values that carry no zone (patterns, date-only, zone-less ISO).'),
    min: z.string().optional().describe('Earliest allowed instant, ISO-8601 (inclusive).'),
    max: z.string().optional().describe('Latest allowed instant, ISO-8601 (inclusive).'),
  })
  .strict()
  .describe('Parsed to epoch milliseconds UTC.');

export const fieldSchema = z.discriminatedUnion('type', [
  stringFieldSchema,
  numberFieldSchema,
  integerFieldSchema,
  booleanFieldSchema,
  timestampFieldSchema,
]);

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const derivedFieldSchema = z.discriminatedUnion('kind', [
  z
    .object({ kind: z.literal('equals'), field: identifier, value: scalar })
    .strict()
    .describe('true when `field` equals `value`; false otherwise, including when `field` has no value.'),
  z
    .object({ kind: z.literal('in'), field: identifier, values: z.array(scalar).min(1) })
    .strict()
    .describe('true when `field` is one of `values`.'),
  z
    .object({
      kind: z.literal('concat'),
      fields: z.array(identifier).min(1),
      separator: z.string().default(''),
    })
    .strict()
    .describe('The text of `fields` joined by `separator`, skipping fields without a value; null when all are empty.'),
  z
    .object({ kind: z.literal('coalesce'), fields: z.array(identifier).min(1), default: scalar.optional() })
    .strict()
    .describe('The first of `fields` that has a value, else `default` (null when absent).'),
]);

export const eventTimeSchema = z
  .object({
    field: identifier.describe('A timestamp field; a row without it is quarantined.'),
    notBefore: z
      .string()
      .default('2000-01-01')
      .describe('Event times before this ISO-8601 instant are quarantined (a zero epoch upstream, a typo).'),
    maxFutureMinutes: z
      .number()
      .int()
      .min(0)
      .default(1440)
      .describe('Event times more than this many minutes after the read time are quarantined.'),
  })
  .strict();

export const httpSourceSchema = z
  .object({
    url: z.url().describe('First page, e.g. https://api.example.com/v1/leads'),
    schedule: z.string().default('rate(15 minutes)').describe('EventBridge Scheduler expression.'),
    itemsPath: z
      .string()
      .default('')
      .describe('Dotted path of the array of items in a page, e.g. `data`; empty when the page is the array.'),
    pagination: z.discriminatedUnion('kind', [
      z
        .object({
          kind: z.literal('cursor'),
          param: z.string().min(1).describe('Query parameter that carries the cursor.'),
          nextPath: z.string().min(1).describe('Dotted path of the next cursor in a page; absent or empty ends.'),
        })
        .strict(),
      z
        .object({
          kind: z.literal('page'),
          param: z.string().min(1).describe('Query parameter of the page number.'),
          start: z.number().int().min(0).default(1),
          sizeParam: z.string().optional(),
          size: z.number().int().min(1).max(10_000).optional(),
        })
        .strict()
        .describe('Page numbers until a page has no items.'),
      z
        .object({
          kind: z.literal('next_link'),
          nextPath: z
            .string()
            .optional()
            .describe('Dotted path of the next URL in a page; without it the `Link: <...>; rel="next"` header.'),
        })
        .strict(),
      z.object({ kind: z.literal('none') }).strict(),
    ]),
    watermark: z
      .object({
        param: z.string().min(1).describe('Query parameter the last watermark is sent in, e.g. `updated_after`.'),
        field: identifier.describe('Record field (timestamp) whose newest value becomes the next watermark.'),
        format: z
          .enum(['iso8601', 'epoch_seconds', 'epoch_millis'])
          .default('iso8601')
          .describe('How the watermark is written in the query parameter.'),
        initial: z.string().optional().describe('Watermark of the very first run, ISO-8601; none when absent.'),
      })
      .strict()
      .optional()
      .describe('Incremental fetch: the API must return items strictly newer than the watermark.'),
    query: z.record(z.string(), z.string()).default({}).describe('Fixed query parameters.'),
    headers: z.record(z.string(), z.string()).default({}).describe('Fixed request headers.'),
    auth: z
      .object({
        secretName: z
          .string()
          .min(1)
          .describe('Secrets Manager secret holding the token (plain text, or JSON `{ "token": ... }`).'),
        header: z.string().default('Authorization'),
        prefix: z.string().default('Bearer '),
      })
      .strict()
      .optional(),
    maxPages: z.number().int().min(1).max(100_000).default(1000).describe('Pages per run; the next run resumes.'),
    timeoutSeconds: z.number().int().min(1).max(300).default(30).describe('Per request.'),
    maxAttempts: z
      .number()
      .int()
      .min(1)
      .max(10)
      .default(5)
      .describe('Attempts per request on 429, 5xx and network errors.'),
  })
  .strict();

/** What to do with a pushed event that names another agent than the one whose key signed the request. */
export const AGENT_MISMATCH_POLICIES = ['refuse', 'overwrite'] as const;

export const pushSchema = z
  .object({
    enabled: z.boolean().default(true),
    agents: z
      .array(z.string().min(1))
      .optional()
      .describe('Agents allowed to push this dataset; any agent with a key when absent.'),
    agentField: identifier
      .optional()
      .describe(
        'The text field that names the agent of an event; required when pushes are enabled. The agent whose key signed the request is the agent of its events: an event without the field gets the signer, one naming another agent is handled by `onMismatch`.',
      ),
    onMismatch: z
      .enum(AGENT_MISMATCH_POLICIES)
      .default('refuse')
      .describe(
        '`refuse`: a request holding an event that names another agent than the signer is refused whole (403, the lines listed, nothing stored). `overwrite`: the field is set to the signer. @default refuse',
      ),
  })
  .strict();

/** Bytes an input may expand to by default: a decompression bomb stops here. */
export const DEFAULT_MAX_INPUT_BYTES = 4 * 1024 * 1024 * 1024;
/** Rows an input may hold by default. */
export const DEFAULT_MAX_INPUT_ROWS = 100_000_000;

export const ingestionSchema = z
  .object({
    dropZone: z
      .boolean()
      .default(true)
      .describe('Ingest files dropped in the landing bucket under `landing/<dataset>/`.'),
    http: httpSourceSchema.optional().describe('Pull pages from a JSON API on a schedule.'),
    push: pushSchema.optional().describe('Accept batches posted by agents to the telemetry endpoint.'),
    lateAfterMinutes: z
      .number()
      .int()
      .min(0)
      .default(60)
      .describe('A record whose hour ended more than this long before ingestion marks that hour for recomputation.'),
    files: z
      .enum(['append', 'replace'])
      .default('append')
      .describe(
        '`append`: every new content adds its rows (the same content again adds nothing). `replace`: a file is a corrected export of the one before it under the same landing key (or the same `replaceBy` capture); the newest replaces the previous one, whose rows stop counting.',
      ),
    replaceBy: z
      .string()
      .min(1)
      .optional()
      .describe(
        "With `files: replace`: a regular expression over the file's path under `landing/<dataset>/` whose first capture group names the logical file (e.g. `leads-(\\d{4}-\\d{2}-\\d{2})` for a daily export whose name also carries a time stamp). Files with the same capture replace each other; a file it does not match replaces only itself.",
      ),
    limits: z
      .object({
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .default(DEFAULT_MAX_INPUT_BYTES)
          .describe(
            'Bytes one file (or request, or run of pages) may expand to once decompressed. @default 4294967296 (4 GiB)',
          ),
        maxRows: z
          .number()
          .int()
          .min(1)
          .default(DEFAULT_MAX_INPUT_ROWS)
          .describe('Rows one file may hold. @default 100000000'),
      })
      .strict()
      .default({ maxBytes: DEFAULT_MAX_INPUT_BYTES, maxRows: DEFAULT_MAX_INPUT_ROWS })
      .describe(
        'Beyond these, the input is refused as `too_large` once (never retried), and kept whole in quarantine.',
      ),
  })
  .strict();

const freshnessDuration = z.string().regex(DURATION_PATTERN, 'must be a duration such as 90s, 15m, 1h, 2d or 1w');

/** How often a dataset is expected to arrive, and when a silence is a warning, then a failure. */
export const freshnessSchema = z
  .object({
    expectedEvery: freshnessDuration.describe(
      'How often data normally arrives (a committed batch), e.g. `1h` for an hourly export: a duration, an integer and a unit among ms, s, m, h, d, w.',
    ),
    warnAfter: freshnessDuration.describe(
      'Time since the last arrival after which the dataset is `warn` and its owner is told; at least `expectedEvery`.',
    ),
    failAfter: freshnessDuration.describe(
      'Time since the last arrival after which the dataset is `fail` and its owner is told again; at least `warnAfter`.',
    ),
  })
  .strict()
  .superRefine((freshness, ctx) => {
    const millis = (text: string) => (DURATION_PATTERN.test(text) ? durationMillis(text) : null);
    const every = millis(freshness.expectedEvery);
    const warn = millis(freshness.warnAfter);
    const fail = millis(freshness.failAfter);
    if (every === null || warn === null || fail === null) return;
    if (warn < every) {
      ctx.addIssue({
        code: 'custom',
        path: ['warnAfter'],
        message: `${freshness.warnAfter} is shorter than expectedEvery (${freshness.expectedEvery}): the dataset would warn between two normal arrivals`,
      });
    }
    if (fail < warn) {
      ctx.addIssue({
        code: 'custom',
        path: ['failAfter'],
        message: `${freshness.failAfter} is shorter than warnAfter (${freshness.warnAfter}): failAfter must be at least warnAfter`,
      });
    }
  })
  .describe(
    'Expected freshness: the scheduled freshness check compares the time since the last committed batch with these and notifies the owner when the dataset turns `warn` or `fail`, and when it recovers. Absent: the dataset is not checked.',
  );

export const datasetDeclarationSchema = z
  .object({
    $schema: z.string().optional().describe('Path or URL of schemas/dataset.schema.json, for editors.'),
    id: identifier.describe('The dataset id KPI definitions refer to.'),
    description: z.string().min(1),
    owner: z
      .email({
        message:
          'must be an email address (a team or a person): freshness notices go to it, and a subscription of the dataset owners topic filters on it',
      })
      .describe(
        'Email address of the team or person answerable for the data; the freshness check notifies it (message attribute `owner`).',
      ),
    freshness: freshnessSchema.optional(),
    files: z
      .union([z.string().min(1), z.array(z.string().min(1))])
      .optional()
      .describe(
        'Local files: paths or globs (`*`, `**`, `?`, `{a,b}`) relative to this declaration. `{field}` captures a part of the path into a declared field of every record of the file, e.g. `../exports/{campaign}/policy={policy}/*.csv`; in the drop zone the part from the first wildcard or capture on is matched against the key below `landing/<dataset>/`.',
      ),
    format: datasetFormatSchema,
    nullValues: nullValues.default(['']),
    fields: z
      .record(identifier, fieldSchema)
      .refine((fields) => Object.keys(fields).length > 0, 'declare at least one field')
      .describe('The typed fields of a record, by name.'),
    renames: z
      .record(z.string(), identifier)
      .default({})
      .describe('Source column (or dotted JSON path) → field name, for fields not named like their column.'),
    constants: z.record(identifier, scalar).default({}).describe('Fields with the same value in every record.'),
    derived: z
      .record(identifier, derivedFieldSchema)
      .default({})
      .describe('Fields computed from other fields after typing, in declaration order.'),
    eventTime: z
      .union([identifier, eventTimeSchema])
      .describe('The timestamp field that places a record in time (partitions, periods).'),
    key: z
      .array(identifier)
      .min(1)
      .optional()
      .describe(
        'Fields that identify a record (its primary key), each `required: true`. A row whose key was already ingested for the dataset with an event time on the same UTC day is dropped as a `duplicate`, counted in the batch manifest and the data-quality records.',
      ),
    ingestion: ingestionSchema.optional(),
  })
  .strict()
  .superRefine((declaration, ctx) => {
    const declared = new Set(Object.keys(declaration.fields));
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const { format } = declaration;
    if (format.type === 'csv' && !format.header && !format.columns) {
      issue(['format', 'columns'], 'list the columns by position when the file has no header');
    }
    for (const [name, field] of Object.entries(declaration.fields)) {
      if (field.type === 'string' && field.pattern !== undefined) {
        try {
          new RegExp(field.pattern);
        } catch (error) {
          issue(['fields', name, 'pattern'], `not a valid regular expression: ${(error as Error).message}`);
        }
      }
      if ((field.type === 'number' || field.type === 'integer') && field.min !== undefined && field.max !== undefined) {
        if (field.min > field.max) issue(['fields', name, 'min'], 'min is greater than max');
      }
      if (field.type === 'timestamp') {
        if (!TIMESTAMP_PRESETS.includes(field.format as (typeof TIMESTAMP_PRESETS)[number])) {
          const problem = timestampPatternProblem(field.format);
          if (problem) issue(['fields', name, 'format'], problem);
        }
        for (const bound of ['min', 'max'] as const) {
          const value = field[bound];
          if (value !== undefined && Number.isNaN(Date.parse(value))) {
            issue(['fields', name, bound], `"${value}" is not an ISO-8601 instant`);
          }
        }
      }
    }
    const captured = new Set<string>();
    ([] as string[]).concat(declaration.files ?? []).forEach((text, index) => {
      const at = Array.isArray(declaration.files) ? ['files', index] : ['files'];
      let pattern: FilePattern;
      try {
        pattern = parseFilePattern(text);
      } catch (error) {
        if (!(error instanceof FilePatternError)) throw error;
        issue(at, error.message);
        return;
      }
      for (const name of pattern.captures) {
        captured.add(name);
        if (!declared.has(name)) {
          issue(at, `captures {${name}}, which is not a declared field: add ${name}: { type: string } to fields`);
        }
      }
    });
    const sources = new Map<string, string>();
    for (const [source, target] of Object.entries(declaration.renames)) {
      if (captured.has(target)) {
        issue(['renames', source], `"${target}" comes from the file's path ({${target}} in files): it reads no column`);
      }
      if (!declared.has(target)) issue(['renames', source], `renames to "${target}", which is not a declared field`);
      const previous = sources.get(target);
      if (previous !== undefined) issue(['renames', source], `"${target}" is already renamed from "${previous}"`);
      sources.set(target, source);
    }
    const known = new Set(declared);
    for (const name of Object.keys(declaration.constants)) {
      if (known.has(name)) issue(['constants', name], `"${name}" is already a field`);
      known.add(name);
    }
    for (const [name, derivation] of Object.entries(declaration.derived)) {
      if (known.has(name)) issue(['derived', name], `"${name}" is already a field or constant`);
      const inputs = derivation.kind === 'equals' || derivation.kind === 'in' ? [derivation.field] : derivation.fields;
      for (const input of inputs) {
        if (!known.has(input)) {
          issue(['derived', name], `uses "${input}", which is not a field, constant or earlier derived field`);
        }
      }
      known.add(name);
    }
    const eventTime = typeof declaration.eventTime === 'string' ? declaration.eventTime : declaration.eventTime.field;
    const eventField = declaration.fields[eventTime];
    if (!eventField) issue(['eventTime'], `"${eventTime}" is not a declared field`);
    else if (eventField.type !== 'timestamp') issue(['eventTime'], `"${eventTime}" must be a timestamp field`);
    if (typeof declaration.eventTime === 'object' && Number.isNaN(Date.parse(declaration.eventTime.notBefore))) {
      issue(['eventTime', 'notBefore'], `"${declaration.eventTime.notBefore}" is not an ISO-8601 instant`);
    }
    const push = declaration.ingestion?.push;
    if (push?.enabled) {
      if (push.agentField === undefined) {
        issue(
          ['ingestion', 'push', 'agentField'],
          'name the field that holds the agent of an event (e.g. agentField: agent_id): pushed events are held to the agent whose key signed them',
        );
      } else if (declaration.fields[push.agentField]?.type !== 'string') {
        issue(['ingestion', 'push', 'agentField'], `"${push.agentField}" must be a declared string field`);
      }
    }
    const keyFields = new Set<string>();
    for (const [i, name] of (declaration.key ?? []).entries()) {
      if (keyFields.has(name)) issue(['key', i], `"${name}" is named twice`);
      keyFields.add(name);
      const field = declaration.fields[name];
      if (!field) issue(['key', i], `"${name}" is not a declared field`);
      else if (!field.required && field.default === undefined) {
        issue(['fields', name, 'required'], `"${name}" is part of the key: declare it \`required: true\``);
      }
    }
    const replaceBy = declaration.ingestion?.replaceBy;
    if (replaceBy !== undefined) {
      if (declaration.ingestion?.files !== 'replace') {
        issue(['ingestion', 'replaceBy'], 'replaceBy only applies with `files: replace`');
      }
      try {
        if (new RegExp(`${replaceBy}|`).exec('')?.length === 1) {
          issue(
            ['ingestion', 'replaceBy'],
            'needs a capture group, e.g. `leads-(\\d{4}-\\d{2}-\\d{2})`: it names the logical file',
          );
        }
      } catch (error) {
        issue(['ingestion', 'replaceBy'], `not a valid regular expression: ${(error as Error).message}`);
      }
    }
    const watermark = declaration.ingestion?.http?.watermark;
    if (watermark && declaration.fields[watermark.field]?.type !== 'timestamp') {
      issue(['ingestion', 'http', 'watermark', 'field'], `"${watermark.field}" must be a declared timestamp field`);
    }
  });

/** A dataset declaration as validated, defaults applied. */
export type DatasetDeclaration = z.infer<typeof datasetDeclarationSchema>;
/** What a declaration file may contain (defaults not yet applied). */
export type DatasetDeclarationInput = z.input<typeof datasetDeclarationSchema>;
export type DatasetFormat = z.infer<typeof datasetFormatSchema>;
export type FieldDeclaration = z.infer<typeof fieldSchema>;
export type FieldType = FieldDeclaration['type'];
export type DerivedFieldDeclaration = z.infer<typeof derivedFieldSchema>;
export type HttpSourceDeclaration = z.infer<typeof httpSourceSchema>;
export type IngestionDeclaration = z.infer<typeof ingestionSchema>;
export type PushDeclaration = z.infer<typeof pushSchema>;
export type AgentMismatchPolicy = (typeof AGENT_MISMATCH_POLICIES)[number];
export type EventTimeDeclaration = z.infer<typeof eventTimeSchema>;
export type FreshnessDeclaration = z.infer<typeof freshnessSchema>;

/** The event time settings with defaults, whichever form the declaration used. */
export function eventTimeOf(declaration: DatasetDeclaration): EventTimeDeclaration {
  return typeof declaration.eventTime === 'string'
    ? eventTimeSchema.parse({ field: declaration.eventTime })
    : declaration.eventTime;
}

/** The ingestion settings with defaults (drop zone on, nothing else) when the section is absent. */
export function ingestionOf(declaration: DatasetDeclaration): IngestionDeclaration {
  return declaration.ingestion ?? ingestionSchema.parse({});
}
