// AWS adapter: the versions of one Secrets Manager secret, for a rotation function.
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { SecretVersions } from '../../ports/secret-versions';

export function secretsManagerVersions(secrets: SecretsManagerClient, secretId: string): SecretVersions {
  return {
    async valueOf(versionId, stage) {
      try {
        const { SecretString } = await secrets.send(
          new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId, VersionStage: stage }),
        );
        return SecretString;
      } catch (error) {
        // A version labelled AWSPENDING by RotateSecret has no value until createSecret puts one.
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
    async putPending(versionId, value) {
      await secrets.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: versionId,
          SecretString: value,
          VersionStages: ['AWSPENDING'],
        }),
      );
    },
    async stages() {
      const { VersionIdsToStages = {} } = await secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
      return VersionIdsToStages;
    },
    async makeCurrent(toVersionId, fromVersionId) {
      await secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: toVersionId,
          RemoveFromVersionId: fromVersionId,
        }),
      );
    },
  };
}
