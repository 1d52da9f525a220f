// Use case: version a dataset declaration like a KPI definition (publish, rollback), refusing any
// version that a KPI in force could no longer be computed with: a field it reads removed or retyped,
// a filter value the field can no longer hold.
import type { DatasetDeclaration } from '../domain/dataset';
import { declaredFieldsOf } from '../domain/dataset/declared-fields';
import { checkDefinitionFields, type DatasetFields } from '../domain/definition/check-fields';
import { datasetsOfCalculation, type KpiDefinition } from '../domain/definition/schema';
import { ConflictError } from '../domain/errors';
import type { ChangeLogEntry } from '../domain/versioning/definition-versions';
import type { ChangeAuthor, DefinitionStore, PublishOutcome } from '../ports/definition-store';

/** A declaration version that KPIs in force read in a way it no longer allows. */
export class DeclarationBreaksKpisError extends ConflictError {
  override readonly name = 'DeclarationBreaksKpisError';
  constructor(
    readonly dataset: string,
    readonly broken: readonly { readonly kpiId: string; readonly problems: readonly string[] }[],
  ) {
    super(
      `${dataset}: refused, it would break ${broken.length} published KPI(s): ${broken
        .map((b) => `${b.kpiId} (${b.problems.join('; ')})`)
        .join(', ')}. Change or retire those KPIs first, or keep what they read`,
    );
  }
}

export interface DeclarationDependencies {
  readonly store: DefinitionStore<DatasetDeclaration>;
  /** The KPIs in force are read from here. */
  readonly kpis: Pick<DefinitionStore<KpiDefinition>, 'list'>;
  /** The declaration in force when none was published yet (the one the deployment ships). */
  readonly deployed?: (id: string) => DatasetDeclaration | undefined;
}

/**
 * The KPIs in force that read `after.id` and that fit `before` (or anything, when there is no
 * before) but not `after`, with what no longer fits.
 */
export async function kpisBrokenBy(
  kpis: Pick<DefinitionStore<KpiDefinition>, 'list'>,
  before: DatasetDeclaration | undefined,
  after: DatasetDeclaration,
): Promise<{ kpiId: string; problems: string[] }[]> {
  const problemsWith = (definition: KpiDefinition, declaration: DatasetDeclaration | undefined): Set<string> => {
    if (!declaration) return new Set();
    const fields = new Map<string, DatasetFields>([[after.id, declaredFieldsOf(declaration)]]);
    // Other datasets are not checked here: only the problems about this one count.
    return new Set(
      checkDefinitionFields(definition, fields)
        .filter((issue) => issue.message.includes(after.id) && !issue.message.startsWith('no declaration of dataset'))
        .map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    );
  };
  const broken: { kpiId: string; problems: string[] }[] = [];
  for (const state of await kpis.list('active')) {
    if (!datasetsOfCalculation(state.definition.calculation).includes(after.id)) continue;
    const old = problemsWith(state.definition, before);
    const now = [...problemsWith(state.definition, after)].filter((problem) => !old.has(problem));
    if (now.length > 0) broken.push({ kpiId: state.id, problems: now });
  }
  return broken.sort((a, b) => (a.kpiId < b.kpiId ? -1 : 1));
}

/**
 * Publishes `declaration` (already validated) as a new version in force.
 * @throws DeclarationBreaksKpisError naming the KPIs it would break; nothing is stored then
 * @throws DefinitionUnchangedError when the content equals the version in force
 */
export async function publishDatasetDeclaration(
  deps: DeclarationDependencies,
  declaration: DatasetDeclaration,
  by: ChangeAuthor,
): Promise<PublishOutcome<DatasetDeclaration>> {
  const current = await deps.store.get(declaration.id);
  const before = current?.status === 'active' ? current.definition : deps.deployed?.(declaration.id);
  const broken = await kpisBrokenBy(deps.kpis, before, declaration);
  if (broken.length > 0) throw new DeclarationBreaksKpisError(declaration.id, broken);
  return deps.store.publish(declaration, by);
}

/**
 * Puts an earlier version of a declaration back in force, with the same check as a publish.
 * @throws DeclarationBreaksKpisError, DefinitionNotFoundError, DefinitionStateError
 */
export async function rollbackDatasetDeclaration(
  deps: DeclarationDependencies,
  id: string,
  toVersion: number,
  by: ChangeAuthor,
): Promise<ChangeLogEntry> {
  const [current, target] = await Promise.all([deps.store.get(id), deps.store.getVersion(id, toVersion)]);
  const broken = await kpisBrokenBy(deps.kpis, current?.definition, target.definition);
  if (broken.length > 0) throw new DeclarationBreaksKpisError(id, broken);
  return deps.store.rollback(id, toVersion, by);
}
