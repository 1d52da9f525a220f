// Local runtime: state machines as the templates define them. Each AWS::StepFunctions::StateMachine
// becomes clean ASL (tokens resolved to local ARNs), validated before anything runs it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../../../lib/repo-root';
import type { TemplateResolver } from '../template';

const require = createRequire(import.meta.url);
const validateAsl = require('asl-validator') as (
  definition: unknown,
  options?: { checkPaths?: boolean; checkArn?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };
const validatorVersion = (require('asl-validator/package.json') as { version: string }).version;
/** Where definitions found valid are marked (next to the synthesis cache). */
const VALIDATED_CACHE = path.join(repoRoot, '.local', 'cache');

export interface AslState {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  HeartbeatSecondsPath?: string;
  Seconds?: number;
  Retry?: { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number }[];
  Iterator?: AslDefinition;
  ItemProcessor?: AslDefinition;
  Branches?: AslDefinition[];
  [key: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  QueryLanguage?: string;
  TimeoutSeconds?: number;
  [key: string]: unknown;
}

export interface SynthesizedStateMachine {
  readonly stackName: string;
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly definition: AslDefinition;
}

export class InvalidStateMachineError extends Error {
  override readonly name = 'InvalidStateMachineError';
}

/**
 * Every state machine of the app, with its definition resolved. Validation (asl-validator compiles
 * its schemas: seconds of CPU) waits for the first execution, in `validateStateMachine`, so that a
 * process that runs none (most `kpi` commands) does not pay for it.
 */
export function extractStateMachines(resolver: TemplateResolver): SynthesizedStateMachine[] {
  return resolver.resourcesOfType('AWS::StepFunctions::StateMachine').map(({ stackName, logicalId, resource }) => {
    const props = resource.Properties ?? {};
    const raw = props.DefinitionString ?? props.Definition;
    const resolved = resolver.resolve(stackName, raw);
    const definition = (typeof resolved === 'string' ? JSON.parse(resolved) : resolved) as AslDefinition;
    return {
      stackName,
      logicalId,
      name: resolver.physicalName(stackName, logicalId),
      arn: resolver.arn(stackName, logicalId),
      type: props.StateMachineType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      definition,
    };
  });
}

/**
 * Checks a state machine's definition with asl-validator before it first runs.
 * @throws InvalidStateMachineError when it is not valid ASL, or uses JSONata (not run locally)
 */
export function validateStateMachine(machine: SynthesizedStateMachine, cacheDir = VALIDATED_CACHE): void {
  const where = `${machine.stackName}/${machine.logicalId}`;
  const text = JSON.stringify(machine.definition);
  if (text.includes('"QueryLanguage":"JSONata"')) {
    throw new InvalidStateMachineError(`${where}: JSONata is not supported locally; keep state machines on JSONPath`);
  }
  // asl-validator compiles its JSON schemas on every call (about half a second): a definition found
  // valid once, by this version of it, is marked so in the local cache and not checked again.
  const marker = path.join(
    cacheDir,
    `asl-valid-${createHash('sha256').update(`${validatorVersion}\n${text}`).digest('hex')}`,
  );
  if (existsSync(marker)) return;
  // The validator fills in defaults (QueryLanguage): it gets a copy, the definition runs as written.
  const validation = validateAsl(structuredClone(machine.definition), { checkPaths: true, checkArn: true });
  if (!validation.isValid) throw new InvalidStateMachineError(`${where}: ${validation.errorsText('; ')}`);
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(marker, '');
  } catch {
    // A read-only checkout: validated again next time.
  }
}

/** Every state of a definition, including those inside Map and Parallel states, by name. */
export function allStates(definition: AslDefinition): Map<string, AslState> {
  const states = new Map<string, AslState>();
  const visit = (machine: AslDefinition) => {
    for (const [name, state] of Object.entries(machine.States)) {
      states.set(name, state);
      if (state.Iterator) visit(state.Iterator);
      if (state.ItemProcessor) visit(state.ItemProcessor);
      for (const branch of state.Branches ?? []) visit(branch);
    }
  };
  visit(definition);
  return states;
}
