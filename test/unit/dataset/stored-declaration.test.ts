// Reading a published dataset declaration whose content an ingestion function carries and has
// validated already skips a second validation (src/adapters/aws/dataset-declarations.ts). That holds
// because validating a declaration's stored form gives it back unchanged: checked here on every
// declaration of the pack and of the test fixtures.
import { describe, expect, it } from 'vitest';
import { storedDeclaration, storedDeclarationsByHash } from '../../../src/adapters/aws/dataset-declarations';
import { loadDatasetCatalog } from '../../../src/adapters/local/dataset-files';
import { validateDatasetDeclaration } from '../../../src/domain/dataset';
import { contentHash } from '../../../src/domain/versioning/content-hash';

const folders = ['../../../kpis/datasets', '../../fixtures/datasets'].map(
  (dir) => new URL(dir, import.meta.url).pathname,
);

describe('a dataset declaration in its stored form', () => {
  it('validates to itself, for every declaration of the pack and of the fixtures', async () => {
    let checked = 0;
    for (const folder of folders) {
      for (const { declaration, path } of (await loadDatasetCatalog(folder)).values()) {
        const stored = storedDeclaration(declaration);
        // As the store reads it back: its JSON text, parsed.
        const read = JSON.parse(JSON.stringify(stored)) as unknown;
        expect(validateDatasetDeclaration(read, path), path).toStrictEqual(stored);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });

  it('is found by the content hash of what the store holds', async () => {
    const catalog = await loadDatasetCatalog(folders[0] as string);
    const declarations = [...catalog.values()].map((loaded) => loaded.declaration);
    const byHash = storedDeclarationsByHash(declarations);
    expect(byHash.size).toBe(declarations.length);
    for (const declaration of declarations) {
      const read = JSON.parse(JSON.stringify(storedDeclaration(declaration))) as unknown;
      expect(byHash.get(contentHash(read))).toStrictEqual(storedDeclaration(declaration));
    }
  });
});
