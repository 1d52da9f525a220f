// Contract: a function's environment as CDK sets it (lib/constructs/kpi-function.ts) and the runtime
// reads it (src/runtime/environment.ts); the local runtime passes the template's.

/** Environment variables, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;
