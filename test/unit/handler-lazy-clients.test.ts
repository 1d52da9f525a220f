// defineHandler's on-demand clients: a handler names the services only some invocations use, gets a
// loader for each (built once, on its first call), and cannot ask for a service it did not name.
import { SFNClient } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineHandler } from '../../src/runtime/handler';

const env = { AWS_REGION: 'eu-west-1' };

function probe(ask: 'sfn' | 'sns') {
  return defineHandler({
    name: 'probe',
    environment: z.object({}),
    event: z.object({}),
    clients: ['dynamodb'],
    lazyClients: ['sfn'],
    dependencies: (_env, { lazyClient }) => ({ first: lazyClient(ask as 'sfn'), second: lazyClient(ask as 'sfn') }),
    run: async (_event, deps) => {
      const [first, second] = await Promise.all([deps.first(), deps.second()]);
      return { sfn: first instanceof SFNClient, same: first === second, sameLoader: deps.first === deps.second };
    },
  });
}

describe('defineHandler lazyClients', () => {
  it('says which clients are loaded at cold start and which on first use', () => {
    expect(probe('sfn').services).toEqual({ atColdStart: ['dynamodb'], onDemand: ['sfn'] });
  });

  it('hands one loader per service, which builds one client', async () => {
    await expect(probe('sfn').create(env)({})).resolves.toEqual({ sfn: true, same: true, sameLoader: true });
  });

  it('refuses a service the handler did not name, naming it', async () => {
    await expect(probe('sns').create(env)({})).rejects.toThrow(/probe: sns is not among the handler's lazyClients/);
  });
});
