// Runtime: reading a function's environment once, through its own zod schema.
import * as z from 'zod';
import type { Environment } from '../contracts/environment';
import { ConfigurationError } from '../domain/errors';

export type { Environment } from '../contracts/environment';

/**
 * Validates `env` against `schema`; fails with every problem listed, naming each variable.
 * @throws ConfigurationError
 */
export function readEnvironment<S extends z.ZodType>(schema: S, env: Environment, functionName: string): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new ConfigurationError(`${functionName}: invalid environment: ${problems.join('; ')}`);
}

/** A variable holding JSON, parsed and then validated by `schema` (CDK writes lists and settings so). */
export function jsonVariable<T extends z.ZodType>(schema: T) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
