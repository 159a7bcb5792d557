/**
 * The contract between a component and one of its handlers, declared once in the architecture's
 * `functions/<architecture>/contract.ts` (pure: no SDK imports) and imported by both sides:
 * - `entry`: the handler source the component bundles;
 * - `env`: every environment variable the component sets and the handler reads, besides the
 *   platform's own (Powertools, the send guarantee);
 * - `namespace`: the CloudWatch namespace of the handler's Powertools metrics;
 * - `metrics`: every metric name the handler publishes, which alarms and dashboards refer to.
 *
 * The component builds the environment with `environmentFor`, whose type demands exactly the
 * declared variables; a test checks that the handler's config loader reads exactly those.
 */
export interface FunctionContract<Env extends string = string, Metric extends string = string> {
  entry: string;
  env: readonly Env[];
  namespace: string;
  metrics: readonly Metric[];
}

export function defineFunctionContract<const Env extends string, const Metric extends string>(
  contract: FunctionContract<Env, Metric>,
): FunctionContract<Env, Metric> {
  return Object.freeze({ ...contract, env: Object.freeze([...contract.env]), metrics: Object.freeze([...contract.metrics]) });
}

/** The metric names of a contract as a typed lookup: `metricsOf(C).Suppressed === "Suppressed"`. */
export function metricsOf<Metric extends string>(contract: FunctionContract<string, Metric>): { readonly [M in Metric]: M } {
  return Object.freeze(Object.fromEntries(contract.metrics.map((m) => [m, m]))) as { readonly [M in Metric]: M };
}

/** The environment-variable names of a contract as a typed lookup. */
export function envOf<Env extends string>(contract: FunctionContract<Env>): { readonly [E in Env]: E } {
  return Object.freeze(Object.fromEntries(contract.env.map((e) => [e, e]))) as { readonly [E in Env]: E };
}
