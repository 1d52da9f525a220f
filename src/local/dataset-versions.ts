// Local runtime: the pack's dataset declarations published as versioned definitions (version 1 on a
// fresh deployment), as `kpi dataset publish` does, so that ingestion reads them from the definitions
// table and a fix is a new version rather than a redeploy.
import { datasetDeclarationStore, storedDeclaration } from '../adapters/aws/dataset-declarations';
import { kpiDefinitionStore } from '../adapters/aws/kpi-definitions';
import type { LoadedDataset } from '../adapters/local/dataset-files';
import { systemClock } from '../adapters/system-clock';
import type { DatasetDeclaration } from '../domain/dataset';
import { DefinitionUnchangedError } from '../domain/versioning/errors';
import type { ChangeAuthor, PublishOutcome } from '../ports/definition-store';
import { publishDatasetDeclaration } from '../usecases/publish-dataset-declaration';
import type { LocalCloud } from './local-cloud';

/** The dataset declaration store and the KPI store of the local cloud, as the CLI opens them. */
export function localDeclarationDependencies(cloud: LocalCloud) {
  const table = cloud.physicalName('DefinitionsTable');
  return {
    store: datasetDeclarationStore(cloud.clients.dynamodb, table, systemClock),
    kpis: kpiDefinitionStore(cloud.clients.dynamodb, table, systemClock),
  };
}

/**
 * Publishes each declaration of `catalog`; one identical to the version in force is left as it is.
 * @returns how many were published
 */
export async function publishDatasetCatalog(
  cloud: LocalCloud,
  catalog: ReadonlyMap<string, LoadedDataset>,
  by: ChangeAuthor,
): Promise<number> {
  let published = 0;
  for (const loaded of catalog.values()) {
    if ((await publishDeclaration(cloud, loaded.declaration, by)) !== null) published += 1;
  }
  return published;
}

/** Publishes one declaration; null when it equals the version in force. */
export async function publishDeclaration(
  cloud: LocalCloud,
  declaration: DatasetDeclaration,
  by: ChangeAuthor,
): Promise<PublishOutcome<DatasetDeclaration> | null> {
  try {
    return await publishDatasetDeclaration(localDeclarationDependencies(cloud), storedDeclaration(declaration), by);
  } catch (error) {
    if (error instanceof DefinitionUnchangedError) return null;
    throw error;
  }
}
