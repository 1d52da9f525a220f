// Domain: the stable codes of why a row or a file was quarantined. Counts are kept per code
// (ReadCounts.quarantinedByReason); the sentence in QuarantinedRow.reason says what to fix.

/** Why a row could not become a record. */
export const ROW_REASONS = {
  invalid_json: 'the line or element is not valid JSON',
  not_an_object: 'the line or element is JSON, but not an object',
  ragged_row: 'the row has more or fewer columns than the header',
  unbalanced_quote: 'a quoted field is never closed',
  malformed_quotes: 'text follows the closing quote of a field',
  row_too_large: 'the row is longer than format.maxRowBytes',
  invalid_encoding: 'the row has bytes that are not valid in the declared encoding',
  truncated_json: 'the file ends inside a JSON element',
  missing_required: 'a required field has no value',
  invalid_type: 'a value has the wrong JSON type (an object or array where a scalar is expected)',
  invalid_number: 'a number field holds something that is not a number',
  invalid_integer: 'an integer field holds something that is not a whole number',
  invalid_boolean: 'a boolean field holds a spelling that is neither true nor false',
  invalid_timestamp: 'a timestamp field does not match its format',
  not_in_enum: 'a value is not one of the allowed values',
  pattern_mismatch: 'a value does not match the field pattern',
  invalid_length: 'a text value is shorter or longer than allowed',
  out_of_range: 'a value is below min or above max',
  missing_event_time: 'the row has no event time',
  event_time_out_of_range: 'the event time is implausibly far in the past or the future',
} as const;

/** Why a whole file could not be read; the file is kept in quarantine as it was. */
export const FILE_REASONS = {
  empty_file: 'the file has no bytes',
  unreadable_compression: 'the file is not valid gzip, or is truncated',
  unsupported_compression: 'the file is compressed in a format other than gzip (e.g. zip)',
  unsupported_encoding: 'the file is not in the declared text encoding (e.g. UTF-16)',
  invalid_header:
    'the CSV header is missing, names a column twice, or cannot be read (a stray quote that runs into the data rows)',
  missing_columns: 'the CSV header lacks columns that required fields are read from',
  not_a_json_array: 'a JSON file does not hold an array at the top level',
  unclosed_quote:
    'a CSV quote never closes and the rest of the file, longer than format.maxRowBytes, would be one value',
  too_large: 'the input is larger than a limit allows (maxExpandedBytes or maxRows of the read, or the connector)',
} as const;

export type RowReasonCode = keyof typeof ROW_REASONS;
export type FileReasonCode = keyof typeof FILE_REASONS;

/** What a read reports about a whole file, although no row failed for it (`ReadSummary.warnings`). */
export const READ_WARNINGS = {
  missing_optional_column:
    'a column (or JSON key) an optional field reads is absent from the file, so the field is null in every record',
  unknown_column: 'a column (or JSON key) no field reads, while an optional field has none: a likely rename',
  mixed_line_endings: 'some rows end with a lone carriage return (CR), others with a line feed',
} as const;

export type ReadWarningCode = keyof typeof READ_WARNINGS;
