// Test support: runs the `kpi` CLI in-process (sharing the test's pre-synthesized templates) and
// captures what it prints.
import { main } from '../../src/cli/main';

export interface InProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runKpiInProcess(
  args: readonly string[],
  cwd: string,
  now = () => Date.now(),
): Promise<InProcessRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd,
    env: { ...process.env, KPI_AUTHOR: 'maria@example.com', CI: 'true' },
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    now,
  });
  return { code, stdout, stderr };
}
