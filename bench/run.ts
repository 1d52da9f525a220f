// `npm run bench`: runs every benchmark case under bench/cases in turn (or those named on the
// command line). Each case prints its figures and, as its last line, one JSON object.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const casesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'cases');
const wanted = new Set(process.argv.slice(2));
const cases = readdirSync(casesDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((name) => wanted.size === 0 || wanted.has(name))
  .sort();

for (const name of cases) {
  console.log(`\n== bench ${name}`);
  const module = (await import(path.join(casesDir, `${name}.ts`))) as { run: () => Promise<void> };
  await module.run();
}
