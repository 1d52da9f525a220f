import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot as root } from '../../lib/repo-root';
import { PipelineMetric } from '../../src/contracts/metrics';

/** Every `.ts` file under `dir`, relative to the repository. */
function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => path.join(dir, file));
}

/** `file:line` of each metric emitted under a name written out instead of taken from `PipelineMetric`. */
function literalMetricNames(files: readonly string[]): string[] {
  const found: string[] = [];
  for (const file of files) {
    readFileSync(path.join(root, file), 'utf8')
      .split('\n')
      .forEach((line, index) => {
        if (/addMetric\(\s*['"`]/.test(line)) found.push(`${file}:${index + 1}`);
      });
  }
  return found;
}

describe('metric names', () => {
  it('come from the one list the dashboard and alarms read (src/contracts/metrics.ts)', () => {
    expect(literalMetricNames([...sources('functions'), ...sources('src')])).toEqual([]);
  });

  it('are found when written out', () => {
    expect(literalMetricNames([path.join('test', 'fixtures', 'metric-literal.ts')])).toEqual([
      `${path.join('test', 'fixtures', 'metric-literal.ts')}:3`,
    ]);
    expect(Object.values(PipelineMetric)).toContain('ReviewPacksBuilt');
  });
});
