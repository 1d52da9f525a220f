// Port: exclusion windows and annotations (launches, agent releases) that drift detection reads.
import type { Annotation } from '../domain/evaluation/drift/annotations';

export interface AnnotationStore {
  /** Adds an annotation, or replaces the one with the same id. */
  put(annotation: Annotation): Promise<void>;
  /** Every annotation, by id. */
  list(): Promise<Annotation[]>;
}
