// The functions' zod setting (src/runtime/zod-at-cold-start.ts): every function entry imports it
// before anything else (zod reads it when a schema is built), and validating without zod's compiled
// parsers accepts, rejects and reports exactly what the compiled parsers do.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { readSourceDocument } from '../../src/contracts/documents';
import { kpiDefinitionSchema } from '../../src/domain/definition/schema';
import { kpiValueSchema } from '../../src/domain/values/kpi-value';

const root = path.join(__dirname, '..', '..');
const functionsDir = path.join(root, 'functions');
const definitionsDir = path.join(root, 'kpis', 'definitions');

/** The module specifier of the first import statement of a source file. */
function firstImport(file: string): string | undefined {
  const match = /^import\s+(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/m.exec(readFileSync(file, 'utf8'));
  return match?.[1];
}

/** Documents that break a definition in the ways users do: wrong types, unknown keys, missing fields. */
function brokenVariants(definition: Record<string, unknown>): unknown[] {
  const { id: _id, ...withoutId } = definition;
  return [
    withoutId,
    { ...definition, grain: 'fortnight' },
    { ...definition, id: 'Not An Id' },
    { ...definition, unexpected: true },
    { ...definition, calculation: 42 },
    { ...definition, calculation: { ...(definition.calculation as object), type: 'nope' } },
    { ...definition, target: 'high' },
    { ...definition, owner: null },
    [],
    'text',
  ];
}

describe('zod at cold start', () => {
  it('is the first import of every function entry', () => {
    const entries = readdirSync(functionsDir).filter((file) => file.endsWith('.ts'));
    expect(entries.length).toBeGreaterThan(10);
    for (const entry of entries) {
      expect(firstImport(path.join(functionsDir, entry)), entry).toBe('../src/runtime/zod-at-cold-start');
    }
  });

  it('validates the definitions and their broken variants exactly as the compiled parsers do', () => {
    // Schemas built before the setting is imported use zod's compiled parsers; `jitless` in the parse
    // context takes the path the functions take.
    expect(z.config().jitless).toBeFalsy();
    const files = readdirSync(definitionsDir).filter((file) => /\.(ya?ml|json)$/.test(file));
    expect(files.length).toBeGreaterThan(10);
    let rejected = 0;
    for (const file of files) {
      const content = readSourceDocument(path.join(definitionsDir, file)).content as Record<string, unknown>;
      for (const document of [content, ...brokenVariants(content)]) {
        const compiled = kpiDefinitionSchema.safeParse(document);
        const interpreted = kpiDefinitionSchema.safeParse(document, { jitless: true });
        expect(interpreted.success, file).toBe(compiled.success);
        if (compiled.success) expect(interpreted.data).toEqual(compiled.data);
        else {
          rejected += 1;
          expect(interpreted.error?.issues).toEqual(compiled.error.issues);
        }
      }
    }
    expect(rejected).toBeGreaterThanOrEqual(files.length * 9);
  });

  it('turns the compiled parsers off, for schemas built after it, with the same results', async () => {
    await import('../../src/runtime/zod-at-cold-start');
    expect(z.config().jitless).toBe(true);
    const value = {
      kpiId: 'ctr',
      grain: 'day',
      periodStart: '2026-01-01T00:00:00.000Z',
    };
    const before = kpiValueSchema.safeParse(value);
    const built = z.object({ kpiId: z.string(), grain: z.string(), periodStart: z.iso.datetime() }).strict();
    expect(built.safeParse(value).success).toBe(true);
    expect(built.safeParse({ ...value, extra: 1 }).error?.issues).toEqual([
      expect.objectContaining({ code: 'unrecognized_keys', keys: ['extra'] }),
    ]);
    expect(kpiValueSchema.safeParse(value)).toEqual(before);
  });
});
