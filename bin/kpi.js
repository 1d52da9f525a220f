#!/usr/bin/env node
// The `kpi` command (package.json bin): runs src/cli/main.ts through tsx, so no build step is needed.
import { tsImport } from 'tsx/esm/api';

globalThis.__kpiCliShim = true;
await tsImport('../src/cli/main.ts', import.meta.url);
