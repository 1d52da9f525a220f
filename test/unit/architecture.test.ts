import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot as root } from '../../lib/repo-root';
import { describeForbidden, forbiddenImports, layerOf } from '../support/boundaries';

describe('the layering of docs/architecture.md', () => {
  it('holds for every import under src/, functions/ and lib/', () => {
    expect(describeForbidden(forbiddenImports(root))).toEqual([]);
  });

  it('refuses a construct that imports an adapter, and a domain file that imports anything of the project', () => {
    const found = forbiddenImports(path.join(root, 'test', 'fixtures', 'boundaries'));
    expect(found.map((f) => [f.file, f.line, f.from, f.to])).toEqual([
      [path.join('src', 'domain', 'thing.ts'), 2, 'domain', 'adapters'],
      [path.join('lib', 'stack.ts'), 2, 'lib', 'adapters'],
    ]);
    expect(describeForbidden(found)[1]).toBe(
      "lib/stack.ts:2: lib may not import adapters ('../src/adapters/aws/store'); allowed: contracts",
    );
  });

  it('places files by their folder', () => {
    expect(layerOf('src/domain/engine/kpi.ts')).toBe('domain');
    expect(layerOf('functions/compute.ts')).toBe('functions');
    expect(layerOf('lib/constructs/guardrails.ts')).toBe('lib');
    expect(layerOf('test/unit/x.test.ts')).toBeNull();
  });
});
