import type { Observability } from "../../functions/shared/runtime/observability";

/** The logging surface the handlers use, recorded by a test. */
export interface RecordingLogger {
  addContext(): void;
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/**
 * Handler observability for tests: `logger` as given, and a metrics emitter that hands every count
 * (with a single metric's own dimensions) to `count` and every publish to `flush`, so a test can
 * assert exactly what was logged and counted.
 */
export function recordingObservability(
  logger: RecordingLogger,
  count: (name: string, dimensions: Record<string, string> | undefined, value: number) => void,
  flush: () => void = () => undefined,
): Observability {
  const metrics = {
    addMetric: (name: string, _unit: unknown, value: number) => count(name, undefined, value),
    singleMetric: () => {
      const dimensions: Record<string, string> = {};
      return {
        addDimension: (key: string, value: string) => void (dimensions[key] = value),
        addMetric: (name: string, _unit: unknown, value: number) => count(name, dimensions, value),
      };
    },
    publishStoredMetrics: flush,
  };
  return { logger, metrics } as unknown as Observability;
}
