// The default pack's dataset declarations stay in step with the ones the pipeline stages own.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateDatasetDeclaration } from '../../src/domain/dataset';

function declaration(file: string) {
  const { files: _files, ...rest } = validateDatasetDeclaration(parse(readFileSync(file, 'utf8')), file);
  return rest;
}

describe('kpis/datasets/pipeline_ingest.yaml', () => {
  it('declares exactly what the ingestion stage declares in datasets/pipeline_ingest.yaml, plus the sample file', () => {
    expect(declaration('kpis/datasets/pipeline_ingest.yaml')).toEqual(declaration('datasets/pipeline_ingest.yaml'));
  });
});
