/**
 * How architectures compose. A module declares the capabilities it provides (a configuration set,
 * an SMS preference table, a domain-events topic, …) and the ones it requires or can use, as
 * functions of its own config. From those declarations the stack:
 * - orders the builds (a provider before its consumers, otherwise registry order);
 * - reports a missing prerequisite or a cycle as a config error naming both keys, before any
 *   resource exists;
 * - hands each build typed access to what it asked for (`ctx.require`, `ctx.use`).
 */
export interface Capability<T> {
  /** `<provider key>.<name>`, unique in the stack. */
  readonly id: string;
  /** The config key of the architecture that provides it. */
  readonly provider: string;
  /** What it is, for error messages: "its SES configuration set". */
  readonly description: string;
  /** Type carrier only: never set. */
  readonly _type?: T;
}

export function capability<T>(provider: string, name: string, description: string): Capability<T> {
  return Object.freeze({ id: `${provider}.${name}`, provider, description });
}

/** What a module says about its place in the stack; the functions get its own parsed config. */
export interface Composition<Config> {
  key: string;
  provides?: readonly Capability<unknown>[];
  /** Capabilities this config cannot build without. */
  requires?: (config: Config) => readonly Capability<unknown>[];
  /** Capabilities this config uses when their provider is enabled. */
  uses?: (config: Config) => readonly Capability<unknown>[];
}

/** A provided value, tagged with its capability (see `provide`). */
export interface Provided<T = unknown> {
  capability: Capability<T>;
  value: T;
}

export function provide<T>(capability: Capability<T>, value: T): Provided<T> {
  return { capability, value };
}

/** Typed access to what earlier builds provided. */
export class Capabilities {
  private readonly values = new Map<string, unknown>();

  add(provided: Provided): void {
    this.values.set(provided.capability.id, provided.value);
  }

  /** A capability the module declared in `requires`: present, because the config was validated. */
  require<T>(capability: Capability<T>): T {
    if (!this.values.has(capability.id)) throw new Error(`${capability.id} was required but not provided: the build order or the validation is wrong`);
    return this.values.get(capability.id) as T;
  }

  /** A capability the module declared in `uses`: undefined when its provider is not enabled. */
  use<T>(capability: Capability<T>): T | undefined {
    return this.values.get(capability.id) as T | undefined;
  }
}

export interface CompositionIssue {
  /** The config key the problem is reported on. */
  key: string;
  message: string;
}

/**
 * Checks the enabled modules' declarations and returns the build order, or the problems. `configs`
 * holds the parsed config of each enabled module, by key; `modules` is the registry, in order.
 */
export function planComposition<C>(
  modules: readonly Composition<C>[],
  configs: ReadonlyMap<string, C>,
  describeKey: (key: string) => string = (key) => key,
): { order: string[]; issues: CompositionIssue[] } {
  const enabled = modules.filter((m) => configs.has(m.key));
  const byKey = new Map(enabled.map((m) => [m.key, m]));
  const issues: CompositionIssue[] = [];
  const edges = new Map<string, Set<string>>();
  for (const module of enabled) {
    const config = configs.get(module.key)!;
    const before = new Set<string>();
    for (const cap of module.requires?.(config) ?? []) {
      const provider = byKey.get(cap.provider);
      if (provider === undefined) {
        issues.push({ key: module.key, message: `needs ${cap.description} from ${describeKey(cap.provider)}, which is not enabled` });
      } else if (!(provider.provides ?? []).some((p) => p.id === cap.id)) {
        issues.push({ key: module.key, message: `needs ${cap.id}, which ${describeKey(cap.provider)} does not declare in provides` });
      } else if (cap.provider !== module.key) {
        before.add(cap.provider);
      }
    }
    for (const cap of module.uses?.(config) ?? []) {
      if (byKey.has(cap.provider) && cap.provider !== module.key) before.add(cap.provider);
    }
    edges.set(module.key, before);
  }
  // Depth-first topological sort; the registry order decides among independent modules.
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (key: string, path: string[]): void => {
    if (state.get(key) === "done") return;
    if (state.get(key) === "visiting") {
      const cycle = [...path.slice(path.indexOf(key)), key];
      issues.push({ key, message: `composition cycle: ${cycle.map(describeKey).join(" → ")}` });
      return;
    }
    state.set(key, "visiting");
    for (const dependency of edges.get(key) ?? []) visit(dependency, [...path, key]);
    state.set(key, "done");
    order.push(key);
  };
  for (const module of enabled) visit(module.key, []);
  return { order, issues };
}
