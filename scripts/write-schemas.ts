// `npm run schemas`: writes the JSON Schema files generated from the zod schemas.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../lib/repo-root';
import { DATASET_SCHEMA_PATH, datasetJsonSchemaText } from '../src/domain/dataset/json-schema';
import { KPI_DEFINITION_SCHEMA_PATH, kpiDefinitionJsonSchemaText } from '../src/domain/definition/json-schema';

writeFileSync(path.join(repoRoot, DATASET_SCHEMA_PATH), datasetJsonSchemaText());
console.log(`wrote ${DATASET_SCHEMA_PATH}`);
writeFileSync(path.join(repoRoot, KPI_DEFINITION_SCHEMA_PATH), kpiDefinitionJsonSchemaText());
console.log(`wrote ${KPI_DEFINITION_SCHEMA_PATH}`);
