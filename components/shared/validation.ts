import * as pulumi from "@pulumi/pulumi";

/**
 * Collects every argument error of a component and throws once, so a user fixes all of them in a
 * single round (solutions-constructs CheckSqsProps style).
 */
export class ArgumentErrors {
  private readonly errors: string[] = [];

  constructor(private readonly component: string) {}

  /** Records `message` when `failed` is true. */
  check(failed: boolean, message: string): void {
    if (failed) this.errors.push(message);
  }

  add(message: string): void {
    this.errors.push(message);
  }

  throwIfAny(): void {
    if (this.errors.length === 0) return;
    throw new Error(`${this.component}: invalid arguments:\n${this.errors.map((e) => `  - ${e}`).join("\n")}`);
  }
}

/**
 * True when an Input is a plain, already-known value. Validation of Outputs happens at deploy
 * time; up-front checks only look at values the caller passed directly.
 */
export function isKnown<T>(value: pulumi.Input<T> | undefined): value is T {
  return value !== undefined && !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/**
 * Secure defaults ← user settings ← architecture requirements. A user value that overrides a
 * default is honoured but logged as a warning; a requirement always wins.
 */
export function consolidate<T extends object>(
  component: string,
  defaults: T,
  user: Partial<T> | undefined,
  required: Partial<T> = {},
  warn: (message: string) => void = (m) => pulumi.log.warn(m),
): T {
  const merged = { ...defaults } as T;
  for (const [key, value] of Object.entries(user ?? {}) as [keyof T, T[keyof T]][]) {
    if (value === undefined) continue;
    if (key in defaults && defaults[key] !== value) {
      warn(`${component}: overriding the secure default for "${String(key)}" (${JSON.stringify(defaults[key])} -> ${JSON.stringify(value)})`);
    }
    merged[key] = value;
  }
  return { ...merged, ...required };
}
