import { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, Metrics } from "@aws-lambda-powertools/metrics";

/** What every handler factory takes: one logger and one metrics emitter per container. */
export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

/**
 * One logger and one metrics emitter per handler container. Service name and namespace come from
 * the standard Powertools environment variables (POWERTOOLS_SERVICE_NAME,
 * POWERTOOLS_METRICS_NAMESPACE, POWERTOOLS_LOG_LEVEL) that the bundled-function component sets.
 */
export function createObservability(defaultServiceName: string): Observability {
  const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? defaultServiceName;
  const logger = new Logger({ serviceName });
  const metrics = new Metrics({
    serviceName,
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "DigitalUserEngagement",
  });
  return { logger, metrics };
}

/** Adds a count that carries its own dimensions (a single metric), without adding them to every other metric. */
export function addDimensionedCount(metrics: Metrics, name: string, dimensions: Record<string, string>, value = 1): void {
  const single = metrics.singleMetric();
  for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
  single.addMetric(name, MetricUnit.Count, value);
}
