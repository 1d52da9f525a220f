// Domain (evaluate): exclusion windows and annotations. A launch, a campaign start or an agent
// release changes a KPI on purpose; the window says whether that suppresses a drift alert or only
// explains it, and keeps those periods out of the baseline that later periods are compared with.
import * as z from 'zod';

export const annotationSchema = z
  .object({
    /** Stable id, e.g. `launch-2024-spring`. */
    id: z.string().min(1),
    /** What happened, shown next to the alert it explains or suppresses. */
    label: z.string().min(1),
    /** Start of the window, epoch milliseconds (inclusive). */
    from: z.number().int(),
    /** End of the window, epoch milliseconds (exclusive). */
    to: z.number().int(),
    /**
     * `suppress`: a drift inside the window raises no violation (it is still reported).
     * `explain`: the violation is raised and carries this annotation as its likely cause.
     */
    effect: z.enum(['suppress', 'explain']),
    /** KPIs the window applies to; empty means every KPI. */
    kpiIds: z.array(z.string().min(1)).default([]),
    /** Leave the window's periods out of later baselines. @default true */
    excludeFromBaseline: z.boolean().default(true),
  })
  .strict()
  .refine((a) => a.to > a.from, { message: 'to must be after from', path: ['to'] });

export type Annotation = z.infer<typeof annotationSchema>;

/** Whether the annotation concerns this KPI. */
export function annotationAppliesTo(annotation: Annotation, kpiId: string): boolean {
  return annotation.kpiIds.length === 0 || annotation.kpiIds.includes(kpiId);
}

/** Whether the half-open windows `[from, to)` and `[start, end)` share at least one instant. */
export function overlaps(annotation: Pick<Annotation, 'from' | 'to'>, start: number, end: number): boolean {
  return annotation.from < end && start < annotation.to;
}
