// CLI: the command registry. Every file in ./commands exporting `command` is a command.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CliCommand } from './command';

const commandsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'commands');

/** Every command, sorted by name. */
export async function loadCommands(): Promise<CliCommand[]> {
  const files = readdirSync(commandsDir).filter((file) => /\.(ts|js)$/.test(file) && !file.endsWith('.d.ts'));
  const commands: CliCommand[] = [];
  for (const file of files.sort()) {
    const module = (await import(pathToFileURL(path.join(commandsDir, file)).href)) as { command?: CliCommand };
    if (module.command) commands.push(module.command);
  }
  return commands.sort((a, b) => a.name.localeCompare(b.name));
}
