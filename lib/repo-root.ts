// The repository's folder on disk, for the code that reads the checkout itself: the CDK app (cdk.json,
// functions/, kpis/), the local runtime's synthesis cache, the benches, tests and scripts. Never bundled
// into a function: a Lambda has no checkout.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The absolute path of the repository's root folder (where package.json is). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
