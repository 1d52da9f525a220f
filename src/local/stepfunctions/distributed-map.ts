// Local runtime: Distributed Map states. The interpreter runs inline Maps only, so each Map state in
// DISTRIBUTED mode is replaced, when its state machine is registered, by a Task state of the same
// name, transitions, Retry and Catch, which this module runs as Step Functions does: the item list
// from the item reader (a JSON or JSON Lines object in the emulated S3, read with the real SDK
// client) or from ItemsPath, each item through ItemSelector (and ItemBatcher), each item (or batch)
// through the ItemProcessor as a child run, at most MaxConcurrency at once, failing once more
// children failed than tolerated. The definition that runs is still the one CDK synthesized.
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { JSONPath } from 'jsonpath-plus';
import type { AslDefinition, AslState } from './asl';
import { TaskError } from './execution';

/** The resource of the Task state a Distributed Map becomes (run by an override, never called). */
export const DISTRIBUTED_MAP_RESOURCE = 'arn:aws:states:::local:distributedMap';

export interface DistributedMapState {
  readonly name: string;
  readonly reader?: {
    readonly resource: string;
    readonly parameters: Record<string, unknown>;
    readonly config: ReaderConfig;
  };
  readonly itemsPath: string;
  readonly itemSelector?: Record<string, unknown>;
  readonly batcher?: { readonly maxItems: number; readonly batchInput?: Record<string, unknown> };
  /** 0: as many as there are items. */
  readonly maxConcurrency: number;
  readonly toleratedFailureCount: number;
  readonly toleratedFailurePercentage: number;
  /** The ItemProcessor, run once per item (or batch). */
  readonly processor: AslDefinition;
}

interface ReaderConfig {
  readonly InputType?: string;
  readonly MaxItems?: number;
}

/**
 * Replaces every Distributed Map state of `definition` (in place, at any depth) by a Task state of
 * the same name, and returns what each one runs, by state name.
 * @throws Error for what the local runtime cannot run (another item reader, a result writer, paths
 *   for the tolerated failures)
 */
export function extractDistributedMaps(definition: AslDefinition, where: string): Map<string, DistributedMapState> {
  const found = new Map<string, DistributedMapState>();
  const visit = (machine: AslDefinition) => {
    for (const [name, state] of Object.entries(machine.States)) {
      const processor = state.ItemProcessor as (AslDefinition & { ProcessorConfig?: { Mode?: string } }) | undefined;
      if (state.Type === 'Map' && processor?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        found.set(name, distributedMapOf(name, state, processor, `${where} state "${name}"`));
        machine.States[name] = taskInPlaceOf(state);
        visit(processor);
        continue;
      }
      if (state.Iterator) visit(state.Iterator);
      if (processor) visit(processor);
      for (const branch of state.Branches ?? []) visit(branch);
    }
  };
  visit(definition);
  return found;
}

function distributedMapOf(
  name: string,
  state: AslState,
  processor: AslDefinition & { ProcessorConfig?: unknown },
  where: string,
): DistributedMapState {
  for (const field of [
    'ResultWriter',
    'ToleratedFailureCountPath',
    'ToleratedFailurePercentagePath',
    'MaxConcurrencyPath',
  ]) {
    if (state[field] !== undefined) throw new Error(`${where}: ${field} is not supported by the local runtime`);
  }
  const reader = state.ItemReader as
    | { Resource: string; Parameters?: Record<string, unknown>; ReaderConfig?: ReaderConfig }
    | undefined;
  if (reader) {
    const type = reader.ReaderConfig?.InputType;
    if (!/^arn:aws[\w-]*:states:::s3:getObject$/.test(reader.Resource) || (type !== 'JSON' && type !== 'JSONL')) {
      throw new Error(`${where}: only an s3:getObject item reader of JSON or JSONL is supported locally`);
    }
  }
  const batcher = state.ItemBatcher as { MaxItemsPerBatch?: number; BatchInput?: Record<string, unknown> } | undefined;
  if (batcher && !batcher.MaxItemsPerBatch) throw new Error(`${where}: ItemBatcher needs MaxItemsPerBatch locally`);
  const { ProcessorConfig: _, ...definition } = processor;
  return {
    name,
    ...(reader
      ? {
          reader: { resource: reader.Resource, parameters: reader.Parameters ?? {}, config: reader.ReaderConfig ?? {} },
        }
      : {}),
    itemsPath: typeof state.ItemsPath === 'string' ? state.ItemsPath : '$',
    ...(state.ItemSelector ? { itemSelector: state.ItemSelector as Record<string, unknown> } : {}),
    ...(batcher?.MaxItemsPerBatch
      ? {
          batcher: {
            maxItems: batcher.MaxItemsPerBatch,
            ...(batcher.BatchInput ? { batchInput: batcher.BatchInput } : {}),
          },
        }
      : {}),
    maxConcurrency: typeof state.MaxConcurrency === 'number' ? state.MaxConcurrency : 0,
    toleratedFailureCount: typeof state.ToleratedFailureCount === 'number' ? state.ToleratedFailureCount : 0,
    toleratedFailurePercentage:
      typeof state.ToleratedFailurePercentage === 'number' ? state.ToleratedFailurePercentage : 0,
    processor: definition as AslDefinition,
  };
}

/** The Task state standing in for a Map state: the same input and output processing and transitions. */
function taskInPlaceOf(state: AslState): AslState {
  const kept = ['Comment', 'InputPath', 'OutputPath', 'ResultPath', 'ResultSelector', 'Next', 'End', 'Retry', 'Catch'];
  return {
    Type: 'Task',
    Resource: DISTRIBUTED_MAP_RESOURCE,
    ...Object.fromEntries(kept.filter((field) => state[field] !== undefined).map((field) => [field, state[field]])),
  };
}

/** What a run of a Distributed Map needs of its execution. */
export interface DistributedMapRun {
  /** `$$` of the execution (Execution, StateMachine), to which `Map.Item` is added per item. */
  readonly context: Record<string, unknown>;
  /** Runs the ItemProcessor over one item (or batch); rejects with its error when it fails. */
  runItem(input: unknown): Promise<unknown>;
}

/** Runs a Distributed Map over `input` (its state input); resolves with the children's outputs. */
export async function runDistributedMap(
  map: DistributedMapState,
  input: unknown,
  run: DistributedMapRun,
  s3: () => S3Client,
): Promise<unknown[]> {
  const items = map.reader ? await readItems(map.reader, input, run.context, s3()) : itemsAt(map.itemsPath, input);
  const selected = items.map((value, index) =>
    map.itemSelector
      ? evaluateParameters(map.itemSelector, input, { ...run.context, Map: { Item: { Index: index, Value: value } } })
      : value,
  );
  const inputs: unknown[] = [];
  if (map.batcher) {
    const batchInput = map.batcher.batchInput
      ? evaluateParameters(map.batcher.batchInput, input, run.context)
      : undefined;
    for (let i = 0; i < selected.length; i += map.batcher.maxItems) {
      inputs.push({
        ...(batchInput !== undefined ? { BatchInput: batchInput } : {}),
        Items: selected.slice(i, i + map.batcher.maxItems),
      });
    }
  } else {
    inputs.push(...selected);
  }
  const outputs: unknown[] = new Array(inputs.length);
  const failures: Error[] = [];
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const index = next++;
      try {
        outputs[index] = await run.runItem(inputs[index]);
      } catch (error) {
        failures.push(error as Error);
        outputs[index] = null;
      }
    }
  };
  const concurrency = map.maxConcurrency > 0 ? Math.min(map.maxConcurrency, inputs.length) : inputs.length;
  await Promise.all(Array.from({ length: concurrency }, worker));
  const tolerated = Math.max(
    map.toleratedFailureCount,
    Math.floor((map.toleratedFailurePercentage / 100) * inputs.length),
  );
  if (failures.length > tolerated) {
    const first = failures[0] as Error;
    throw new TaskError(
      'States.ExceedToleratedFailureThreshold',
      `${failures.length} of ${inputs.length} items failed (tolerated ${tolerated}); the first: ${first.name}: ${first.message}`,
    );
  }
  return outputs;
}

async function readItems(
  reader: NonNullable<DistributedMapState['reader']>,
  input: unknown,
  context: Record<string, unknown>,
  s3: S3Client,
): Promise<unknown[]> {
  const { Bucket, Key } = evaluateParameters(reader.parameters, input, context) as { Bucket?: string; Key?: string };
  if (!Bucket || !Key) throw new TaskError('States.ItemReaderFailed', 'the item reader needs a Bucket and a Key');
  let text: string;
  try {
    const { Body } = await s3.send(new GetObjectCommand({ Bucket, Key }));
    text = await (Body as { transformToString(): Promise<string> }).transformToString();
  } catch (error) {
    throw new TaskError(
      'States.ItemReaderFailed',
      `s3://${Bucket}/${Key}: ${(error as Error).name}: ${(error as Error).message}`,
    );
  }
  let items: unknown;
  try {
    items =
      reader.config.InputType === 'JSONL'
        ? text
            .split('\n')
            .filter((line) => line.trim() !== '')
            .map((line) => JSON.parse(line))
        : JSON.parse(text);
  } catch (error) {
    throw new TaskError(
      'States.ItemReaderFailed',
      `s3://${Bucket}/${Key} is not ${reader.config.InputType}: ${(error as Error).message}`,
    );
  }
  if (!Array.isArray(items))
    throw new TaskError('States.ItemReaderFailed', `s3://${Bucket}/${Key} does not hold a JSON array`);
  return reader.config.MaxItems ? items.slice(0, reader.config.MaxItems) : items;
}

function itemsAt(path: string, input: unknown): unknown[] {
  const items = JSONPath({ path, json: input as object, wrap: false });
  if (!Array.isArray(items)) throw new TaskError('States.Runtime', `ItemsPath ${path} does not select an array`);
  return items;
}

/** Parameters-style template: `key.$` fields are paths into the input (`$`) or the context (`$$`). */
export function evaluateParameters(
  template: Record<string, unknown>,
  input: unknown,
  context: Record<string, unknown>,
): unknown {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (!key.endsWith('.$')) {
      out[key] =
        value && typeof value === 'object' && !Array.isArray(value)
          ? evaluateParameters(value as Record<string, unknown>, input, context)
          : value;
      continue;
    }
    const path = String(value);
    if (!path.startsWith('$'))
      throw new TaskError('States.Runtime', `${key}: intrinsic functions are not supported here locally`);
    const [json, local] = path.startsWith('$$') ? [context, path.slice(1)] : [input, path];
    out[key.slice(0, -2)] = JSONPath({ path: local, json: json as object, wrap: false });
  }
  return out;
}

/** A client for the emulated S3 the local cloud points the SDK at (path-style, as emulators want). */
export function localS3(): S3Client {
  return new S3Client({ forcePathStyle: true });
}
