// CLI: `kpi <command> [options]`. Errors are one line on stderr (exit 1; 2 for a wrong command line);
// `--debug` adds the stack trace.
import { describeError } from '../domain/errors';
import { type CliCommand, type CliContext, UsageError } from './command';
import { loadCommands } from './registry';

function overview(commands: readonly CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `Usage: kpi <command> [options]

KPI definitions as code: validate them, compute them over local files, print their JSON Schema.

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Run \`kpi <command> --help\` for a command's options. Add --debug to see stack traces.
`;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], context: Omit<CliContext, 'args'>): Promise<number> {
  const debug = argv.includes('--debug');
  const args = argv.filter((arg) => arg !== '--debug');
  const commands = await loadCommands();
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const wanted = name === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    context.stdout(wanted ? `${wanted.usage.trimEnd()}\n` : overview(commands));
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    context.stderr(`kpi: unknown command "${name}". Commands: ${commands.map((c) => c.name).join(', ')}\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    context.stdout(`${command.usage.trimEnd()}\n`);
    return 0;
  }
  try {
    return await command.run({ ...context, args: rest, command: `kpi ${command.name}` });
  } catch (error) {
    const line = error instanceof UsageError ? error.message : describeError(error);
    context.stderr(`kpi ${command.name}: ${line.replace(/\s*\n\s*/g, ' ')}\n`);
    if (error instanceof UsageError) context.stderr(`Run \`kpi ${command.name} --help\` for usage.\n`);
    if (debug && error instanceof Error && error.stack) context.stderr(`${error.stack}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}

const isEntryPoint = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
const launchedByShim = (globalThis as { __kpiCliShim?: boolean }).__kpiCliShim === true;

if (isEntryPoint || launchedByShim) {
  const code = await main(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    now: () => Date.now(),
  });
  process.exitCode = code;
}
