// Flood limits as synthesized: reserved concurrency of the public functions and the approval path,
// from the deployment configuration.
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedApp, synthesizeApp } from './app-synth';

let app: SynthesizedApp;

beforeAll(() => {
  app = synthesizeApp();
});

const reservedOf = (built: SynthesizedApp) =>
  Object.fromEntries(
    Object.values(built.pipeline.findResources('AWS::Lambda::Function')).map((fn) => [
      fn.Metadata['agentKpi:entry'] as string,
      fn.Properties.ReservedConcurrentExecutions as number | undefined,
    ]),
  );

describe('reserved concurrency', () => {
  it('caps and guarantees the telemetry endpoint, the approval page, the workflow steps and the intake', () => {
    expect(reservedOf(app)).toMatchObject({
      'ingest-telemetry': 20,
      'approval-page': 5,
      'approval-steps': 5,
      'guardrail-intake': 10,
    });
  });

  it('leaves the other functions on the account pool, far from what Lambda keeps unreserved', () => {
    const reserved = Object.values(reservedOf(app)).filter((n): n is number => n !== undefined);
    expect(reserved).toHaveLength(4);
    expect(reserved.reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(100);
  });

  it('takes each reservation from the configuration, and null reserves nothing', () => {
    const configured = synthesizeApp({
      agentKpiPipeline: { concurrency: { telemetry: 50, approvalPage: null } },
    });
    expect(reservedOf(configured)).toMatchObject({
      'ingest-telemetry': 50,
      'approval-page': undefined,
      'approval-steps': 5,
    });
  });
});
