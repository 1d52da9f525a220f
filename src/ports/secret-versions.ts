// Port: the versions of one secret and their staging labels, as a rotation sees them (Secrets
// Manager on AWS and locally).

export interface SecretVersions {
  /** The value of version `versionId` if it carries `stage`, else undefined. */
  valueOf(versionId: string, stage: string): Promise<string | undefined>;
  /** Stores `value` as version `versionId` labelled AWSPENDING; a retry with the same value is a no-op. */
  putPending(versionId: string, value: string): Promise<void>;
  /** Every version id with its staging labels. */
  stages(): Promise<Record<string, readonly string[]>>;
  /** Moves AWSCURRENT from `fromVersionId` to `toVersionId` (the former becomes AWSPREVIOUS). */
  makeCurrent(toVersionId: string, fromVersionId: string): Promise<void>;
}
