import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import type { Context } from "aws-lambda";

/**
 * The narrow logging and counting surfaces a handler uses. Powertools' Logger satisfies
 * `HandlerLogger`; `powertoolsCounter` adapts Powertools' Metrics. Handler tests inject recorders
 * instead, so they can assert exactly what was logged and counted (and that no PII was logged).
 */
export interface HandlerLogger {
  addContext(context: Context): void;
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

export interface HandlerCounter {
  /** Adds `value` (default 1) to the count `name`, optionally with its own dimensions. */
  count(name: string, dimensions?: Record<string, string>, value?: number): void;
  /** Publishes what was counted (call once per invocation, in a finally). */
  flush(): void;
}

export function powertoolsCounter(metrics: Metrics): HandlerCounter {
  return {
    count(name, dimensions, value = 1) {
      if (!dimensions) {
        metrics.addMetric(name, MetricUnit.Count, value);
        return;
      }
      // A single metric carries its own dimensions without adding them to every other metric.
      const single = metrics.singleMetric();
      for (const [key, dimension] of Object.entries(dimensions)) single.addDimension(key, dimension);
      single.addMetric(name, MetricUnit.Count, value);
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}
