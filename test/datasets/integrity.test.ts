import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { datasetsDir } from './datasets-dir';

// Results over the real datasets are only comparable when the files are the published ones.
describe('public datasets', () => {
  const dir = datasetsDir();
  const sources = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());

  it('holds the datasets the suite is written against', () => {
    expect(sources.map((d) => d.name)).toEqual(
      expect.arrayContaining([
        'maven-crm-sales-opportunities',
        'uci-online-shoppers-intention',
        'olist-marketing-funnel',
      ]),
    );
  });

  for (const source of sources) {
    it(`matches every SHA-256 listed in ${source.name}/SOURCE.txt`, () => {
      const folder = path.join(dir, source.name);
      const listed = [
        ...readFileSync(path.join(folder, 'SOURCE.txt'), 'utf8').matchAll(/^\s*([0-9a-f]{64})\s+\.\/(\S+)$/gm),
      ];
      expect(listed.length).toBeGreaterThan(0);
      for (const [, sha, file] of listed) {
        const actual = createHash('sha256')
          .update(readFileSync(path.join(folder, String(file))))
          .digest('hex');
        expect(actual, String(file)).toBe(sha);
      }
    });
  }
});
