// CLI: what a `kpi` command is. Each command lives in src/cli/commands/<name>.ts and exports `command`;
// the registry finds them there, so adding a command is adding a file.
import { PipelineError } from '../domain/errors';

/** What a command may touch: its arguments, its output streams, the working folder, the clock. */
export interface CliContext {
  /** Arguments after the command name. */
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes to standard output (no newline added). */
  readonly stdout: (text: string) => void;
  /** Writes to standard error (no newline added). */
  readonly stderr: (text: string) => void;
  /** Epoch milliseconds now: the only place the CLI reads the clock. */
  readonly now: () => number;
  /** The command being run, as other processes are told about it (`kpi publish`). */
  readonly command?: string;
}

/** One `kpi` command. */
export interface CliCommand {
  /** What follows `kpi`, e.g. `validate`. */
  readonly name: string;
  /** One line for `kpi help`. */
  readonly summary: string;
  /** Full help text for `kpi <name> --help`. */
  readonly usage: string;
  /** Runs the command; resolves to the process exit code. */
  run(context: CliContext): Promise<number>;
}

/** The command line is wrong (unknown option, missing argument): exit code 2 and the usage hint. */
export class UsageError extends PipelineError {
  override readonly name: string = 'UsageError';
}
