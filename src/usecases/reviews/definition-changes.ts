// Use case (review): a KPI's definition changes with what each changed. The change log says who moved
// the pointer, when and why; the semantic diff between the version in force before and after says
// what it changed and what that affects. The report's charts and the review packs show both.
import type { DefinitionVersion, DiffedChange } from '../../domain/versioning/definition-versions';
import { diffDefinitions } from '../../domain/versioning/semantic-diff';
import type { DefinitionStore } from '../../ports/definition-store';

/** Every change of a KPI's definition, oldest first, each with its semantic diff. */
export async function definitionChangesOf(
  store: Pick<DefinitionStore<{ readonly id: string }>, 'history' | 'versions'>,
  kpiId: string,
): Promise<DiffedChange[]> {
  const [history, versions] = await Promise.all([store.history(kpiId), store.versions(kpiId)]);
  const byVersion = new Map<number, DefinitionVersion<unknown>>(versions.map((v) => [v.version, v]));
  return history.map((change) => {
    const before = change.fromVersion === null ? undefined : byVersion.get(change.fromVersion);
    const after = byVersion.get(change.toVersion);
    const diff =
      change.action !== 'retire' && before && after ? diffDefinitions(before.definition, after.definition) : null;
    return { change, diff };
  });
}
