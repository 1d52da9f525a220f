import { describe, expect, it } from 'vitest';
import { DeploymentConfigError, parseDeploymentConfig } from '../../lib/config';

describe('deployment configuration', () => {
  it('fills in defaults when nothing is configured', () => {
    const config = parseDeploymentConfig(undefined);
    expect(config.stackPrefix).toBe('AgentKpi');
    expect(config.retainData).toBe(true);
    expect(config.approverTiers.length).toBeGreaterThan(0);
  });

  it('accepts the configuration as a JSON string from the command line', () => {
    expect(parseDeploymentConfig('{"stackPrefix":"Acme"}').stackPrefix).toBe('Acme');
  });

  it('names every invalid path in one error', () => {
    const attempt = () =>
      parseDeploymentConfig({
        stackPrefix: '9bad',
        approverTiers: [{ name: 'ops', emails: ['not-an-email'], deadlineMinutes: 0 }],
      });
    expect(attempt).toThrow(DeploymentConfigError);
    expect(attempt).toThrow(/agentKpiPipeline\.stackPrefix/);
    expect(attempt).toThrow(/agentKpiPipeline\.approverTiers\.0\.emails\.0: must be an email address/);
    expect(attempt).toThrow(/agentKpiPipeline\.approverTiers\.0\.deadlineMinutes/);
  });

  it('rejects keys it does not know, so a typo is not silently ignored', () => {
    expect(() => parseDeploymentConfig({ retainDta: false })).toThrow(/retainDta/);
  });

  it('says when the command-line value is not JSON', () => {
    expect(() => parseDeploymentConfig('{oops')).toThrow(/not valid JSON/);
  });

  it('reserves concurrency for the public functions and the approval path unless told otherwise', () => {
    expect(parseDeploymentConfig(undefined).concurrency).toEqual({
      telemetry: 20,
      approvalPage: 5,
      approvalSteps: 5,
      guardrailIntake: 10,
    });
    expect(parseDeploymentConfig({ concurrency: { telemetry: null } }).concurrency.telemetry).toBeNull();
    expect(() => parseDeploymentConfig({ concurrency: { approvalPage: 0 } })).toThrow(
      /agentKpiPipeline\.concurrency\.approvalPage/,
    );
  });

  it('rotates the link signing key every 30 days unless told otherwise, and never faster than links live', () => {
    expect(parseDeploymentConfig(undefined).linkKeyRotationDays).toBe(30);
    expect(parseDeploymentConfig({ linkKeyRotationDays: null }).linkKeyRotationDays).toBeNull();
    expect(() =>
      parseDeploymentConfig({
        linkKeyRotationDays: 1,
        approverTiers: [{ name: 'ops', emails: ['ops@example.com'], deadlineMinutes: 24 * 60 }],
      }),
    ).toThrow(
      /agentKpiPipeline\.linkKeyRotationDays: must give links more time than the longest tier deadline \(1440 minutes\)/,
    );
  });
});
