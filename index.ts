import { createStack, parseStackConfig, rawConfigFromRuntime } from "./stacks";

// The whole program: validate the stack's config, then build. Tests and the offline plan call
// createStack with their own config, so nothing here runs on import elsewhere.
export = createStack(parseStackConfig(rawConfigFromRuntime()));
