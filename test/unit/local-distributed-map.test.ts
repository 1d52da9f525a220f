// The local runtime's Distributed Map: how a synthesized Map state in DISTRIBUTED mode becomes a
// Task the local Step Functions run, and how that run selects, batches and tolerates its items.
import { describe, expect, it } from 'vitest';
import type { AslDefinition } from '../../src/local/stepfunctions/asl';
import {
  DISTRIBUTED_MAP_RESOURCE,
  type DistributedMapState,
  extractDistributedMaps,
  runDistributedMap,
} from '../../src/local/stepfunctions/distributed-map';

const processor = {
  ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
  StartAt: 'Work',
  States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } },
};

function machine(map: Record<string, unknown>): AslDefinition {
  return {
    StartAt: 'Each',
    States: {
      Each: { Type: 'Map', ItemProcessor: processor, ResultPath: '$.out', Next: 'Done', Retry: [], ...map },
      Done: { Type: 'Succeed' },
    },
  } as AslDefinition;
}

const noS3 = () => {
  throw new Error('no S3 here');
};

function mapOf(extra: Record<string, unknown>): DistributedMapState {
  const maps = extractDistributedMaps(machine(extra), 'test');
  return maps.get('Each') as DistributedMapState;
}

describe('a Distributed Map in the local runtime', () => {
  it('becomes a Task of the same name, transitions and result path, its processor kept apart', () => {
    const definition = machine({ MaxConcurrency: 3, ItemsPath: '$.items' });
    const maps = extractDistributedMaps(definition, 'test');
    expect(definition.States.Each).toEqual({
      Type: 'Task',
      Resource: DISTRIBUTED_MAP_RESOURCE,
      ResultPath: '$.out',
      Next: 'Done',
      Retry: [],
    });
    expect(maps.get('Each')).toMatchObject({ maxConcurrency: 3, itemsPath: '$.items', processor: { StartAt: 'Work' } });
    expect(maps.get('Each')?.processor).not.toHaveProperty('ProcessorConfig');
  });

  it('leaves an inline Map to the interpreter', () => {
    const definition = machine({ ItemProcessor: { ...processor, ProcessorConfig: { Mode: 'INLINE' } } });
    expect(extractDistributedMaps(definition, 'test').size).toBe(0);
    expect(definition.States.Each?.Type).toBe('Map');
  });

  it('refuses what it cannot run, naming the state: a result writer, another item reader', () => {
    expect(() => extractDistributedMaps(machine({ ResultWriter: { Resource: 'x' } }), 'Stack/Machine')).toThrow(
      'Stack/Machine state "Each": ResultWriter is not supported by the local runtime',
    );
    const listing = { Resource: 'arn:aws:states:::s3:listObjectsV2', Parameters: { Bucket: 'b' } };
    expect(() => extractDistributedMaps(machine({ ItemReader: listing }), 'Stack/Machine')).toThrow(
      /only an s3:getObject item reader of JSON or JSONL/,
    );
  });

  it('gives each child its item through ItemSelector, with the item and its index from the context', async () => {
    const map = mapOf({
      ItemsPath: '$.items',
      ItemSelector: { 'kpi.$': '$.kpiId', 'part.$': '$$.Map.Item.Value', 'at.$': '$$.Map.Item.Index', fixed: 1 },
    });
    const seen: unknown[] = [];
    const outputs = await runDistributedMap(
      map,
      { kpiId: 'ctr', items: ['a', 'b'] },
      {
        context: {},
        runItem: async (item) => {
          seen.push(item);
          return `done ${(item as { part: string }).part}`;
        },
      },
      noS3,
    );
    expect(seen).toEqual([
      { kpi: 'ctr', part: 'a', at: 0, fixed: 1 },
      { kpi: 'ctr', part: 'b', at: 1, fixed: 1 },
    ]);
    expect(outputs).toEqual(['done a', 'done b']);
  });

  it('batches items with ItemBatcher, the batch input beside them', async () => {
    const map = mapOf({
      ItemsPath: '$.items',
      ItemBatcher: { MaxItemsPerBatch: 2, BatchInput: { 'kpi.$': '$.kpiId' } },
    });
    const seen: unknown[] = [];
    await runDistributedMap(
      map,
      { kpiId: 'ctr', items: [1, 2, 3] },
      { context: {}, runItem: async (i) => seen.push(i) },
      noS3,
    );
    expect(seen).toEqual([
      { BatchInput: { kpi: 'ctr' }, Items: [1, 2] },
      { BatchInput: { kpi: 'ctr' }, Items: [3] },
    ]);
  });

  it('runs at most MaxConcurrency children at once', async () => {
    const map = mapOf({ ItemsPath: '$', MaxConcurrency: 2 });
    let running = 0;
    let most = 0;
    const runItem = async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running -= 1;
    };
    await runDistributedMap(map, [1, 2, 3, 4, 5], { context: {}, runItem }, noS3);
    expect(most).toBe(2);
  });

  it('fails with States.ExceedToleratedFailureThreshold once more children failed than tolerated', async () => {
    const failOdd = async (item: unknown) => {
      if ((item as number) % 2 === 1) throw Object.assign(new Error(`item ${item}`), { name: 'Boom' });
      return item;
    };
    const strict = mapOf({ ItemsPath: '$' });
    await expect(runDistributedMap(strict, [1, 2], { context: {}, runItem: failOdd }, noS3)).rejects.toMatchObject({
      name: 'States.ExceedToleratedFailureThreshold',
      message: '1 of 2 items failed (tolerated 0); the first: Boom: item 1',
    });
    const tolerant = mapOf({ ItemsPath: '$', ToleratedFailureCount: 1 });
    expect(await runDistributedMap(tolerant, [1, 2], { context: {}, runItem: failOdd }, noS3)).toEqual([null, 2]);
  });
});
