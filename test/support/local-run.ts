// Test support: the whole pipeline run once per test file on a fresh local cloud (`npm start`'s
// stages through `runLocalPipeline`), with every line it logs kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { LocalCloud, type LocalCloudOptions } from '../../src/local/local-cloud';
import { type LocalRunOptions, type LocalRunResult, runLocalPipeline } from '../../src/local/pipeline-run';

export interface LocalRun {
  /** The run's result; set once `beforeAll` has run. */
  readonly result: LocalRunResult;
  /** Every line the run logged; stage titles start with `# `. */
  readonly lines: string[];
  /** The local cloud the run happened on, until the file's tests are done. */
  readonly cloud: LocalCloud;
}

/** Registers hooks that run the pipeline before the file's tests and stop the cloud after them. */
export function runPipelineOnce(
  options: Omit<LocalRunOptions, 'outDir' | 'log' | 'stage'>,
  cloudOptions: LocalCloudOptions = {},
): LocalRun {
  const outDir = mkdtempSync(path.join(tmpdir(), 'agent-kpi-run-'));
  const lines: string[] = [];
  let cloud: LocalCloud | undefined;
  let result: LocalRunResult | undefined;
  beforeAll(async () => {
    cloud = await LocalCloud.start(cloudOptions);
    result = await runLocalPipeline(cloud, {
      ...options,
      outDir,
      log: (line) => lines.push(line),
      stage: (title) => lines.push(`# ${title}`),
    });
  }, 300_000);
  afterAll(async () => {
    await cloud?.stop();
    rmSync(outDir, { recursive: true, force: true });
  });
  return {
    lines,
    get result() {
      if (!result) throw new Error('the pipeline has not run: read `result` inside a test');
      return result;
    },
    get cloud() {
      if (!cloud) throw new Error('the pipeline has not run: read `cloud` inside a test');
      return cloud;
    },
  };
}
