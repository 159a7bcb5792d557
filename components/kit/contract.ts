/**
 * One contract per architecture: its settings declared once, as a zod object whose fields carry
 * their type, range, default and a one-line description (`.describe()`). Everything else comes from
 * that declaration:
 * - the component's argument type (`ContractArgs`), where pass-through settings accept a Pulumi
 *   Input (an Output of another resource);
 * - the component's validation and defaults (`resolveSettings`), reporting every error at once;
 * - the stack config schema for the architecture (stacks/architectures/types.ts);
 * - the settings table of the docs and Pulumi.yaml's key list (`settingsReference`).
 */
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import type { FunctionContract } from "../../functions/shared/runtime/function-contract";

/** What a pass-through setting holds while validating a value that is not known yet (an Output). */
const DEFERRED = Symbol.for("due.deferredInput");
export interface Deferred {
  readonly [DEFERRED]: true;
}
const deferredMarker: Deferred = Object.freeze({ [DEFERRED]: true as const });
const isDeferred = (value: unknown): value is Deferred => typeof value === "object" && value !== null && DEFERRED in value;

/**
 * Marks a setting that is handed to a resource as it is, so the component also accepts an Output
 * of another resource for it. A known value is validated like any other; an Output is validated by
 * AWS at deploy time. Cross-field rules still see it as present.
 */
export function passThrough<S extends z.ZodType>(schema: S): z.ZodUnion<[S, z.ZodCustom<Deferred, Deferred>]> {
  // A missing value reads "is required" rather than the union's generic "Invalid input".
  return z.union([schema, z.custom<Deferred>(isDeferred)], { error: (issue) => (issue.input === undefined ? "is required" : undefined) });
}

type ReplaceDeferred<T> = [Extract<T, Deferred>] extends [never] ? T : pulumi.Input<Exclude<T, Deferred | undefined>> | Extract<T, undefined>;
type MapDeferred<T> = T extends unknown ? { [K in keyof T]: ReplaceDeferred<T[K]> } : never;

/** The component's argument type: the contract's input, with Inputs where settings pass through. */
export type ContractArgs<S extends z.ZodType> = MapDeferred<z.input<S>>;
/** The resolved settings a component builds from: defaults applied, pass-through Inputs kept. */
export type ContractSettings<S extends z.ZodType> = MapDeferred<z.output<S>>;

export interface Contract<S extends z.ZodType> {
  /** The component's class name, used in error messages ("SesEventProcessing: invalid arguments"). */
  component: string;
  settings: S;
}

export function defineContract<S extends z.ZodType>(component: string, settings: S): Contract<S> {
  return { component, settings };
}

/** A problem with one setting: `key` is the dotted path inside the contract. */
export interface SettingIssue {
  key: string;
  message: string;
}

/** Every problem zod found, as `key: message` with the exact (dotted) setting path. */
export function settingIssues(error: z.ZodError): SettingIssue[] {
  return error.issues.flatMap((issue) => {
    const key = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") return issue.keys.map((k) => ({ key: key ? `${key}.${k}` : k, message: "unknown key" }));
    return [{ key, message: issue.message }];
  });
}

export class ContractError extends Error {
  constructor(
    readonly component: string,
    readonly issues: SettingIssue[],
  ) {
    super(`${component}: invalid arguments:\n${issues.map((i) => `  - ${i.key ? `${i.key}: ` : ""}${i.message}`).join("\n")}`);
    this.name = "ContractError";
  }
}

function isUnknownInput(value: unknown): boolean {
  return pulumi.Output.isInstance(value) || value instanceof Promise;
}

/**
 * Validates a component's arguments against its contract and applies the defaults. Only the
 * contract's own keys are read (platform settings are the caller's business). Values not known yet
 * stand in as "present" during validation and are handed back unchanged. Throws ContractError with
 * every problem at once.
 */
export function resolveSettings<S extends z.ZodType>(contract: Contract<S>, args: object): ContractSettings<S> {
  const keys = contractKeys(contract);
  const input: Record<string, unknown> = {};
  const deferred = new Map<string, unknown>();
  for (const key of keys) {
    const value = (args as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (isUnknownInput(value)) {
      deferred.set(key, value);
      input[key] = deferredMarker;
    } else {
      input[key] = value;
    }
  }
  const parsed = contract.settings.safeParse(input);
  if (!parsed.success) throw new ContractError(contract.component, settingIssues(parsed.error));
  const settings = { ...(parsed.data as Record<string, unknown>) };
  for (const [key, value] of deferred) settings[key] = value;
  return settings as ContractSettings<S>;
}

/** Every key a contract declares, across all variants of a discriminated union. */
export function contractKeys(contract: Contract<z.ZodType>): string[] {
  return [...new Set(objectVariants(contract.settings).flatMap((o) => Object.keys(o.shape)))];
}

function objectVariants(schema: z.ZodType): z.ZodObject[] {
  if (schema instanceof z.ZodObject) return [schema];
  if (schema instanceof z.ZodDiscriminatedUnion || schema instanceof z.ZodUnion) {
    return (schema.options as z.ZodType[]).flatMap(objectVariants);
  }
  if (schema instanceof z.ZodPipe) return objectVariants(schema.in as z.ZodType);
  throw new Error("a contract's settings must be a zod object or a discriminated union of objects");
}

/**
 * Copies exactly the contract's keys from a parsed stack config into a component's arguments: no
 * spread, so a key the contract does not declare cannot ride along, and every declared key does.
 */
export function settingsFromConfig<S extends z.ZodType>(contract: Contract<S>, config: Record<string, unknown>): ContractArgs<S> {
  const args: Record<string, unknown> = {};
  for (const key of contractKeys(contract)) if (config[key] !== undefined) args[key] = config[key];
  return args as ContractArgs<S>;
}

/** One row of a generated settings table. */
export interface SettingReference {
  key: string;
  /** e.g. "integer 1–10", "string", "one of a | b", "list of string". */
  type: string;
  /** JSON of the default, or "—" when the setting has none. */
  default: string;
  description: string;
  /** Set when the setting exists only for some values of the discriminator (e.g. target "pinpoint"). */
  onlyWhen?: string;
  required: boolean;
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  default?: unknown;
  description?: string;
};

function describeType(s: JsonSchema): string {
  const alternatives = (s.anyOf ?? s.oneOf)?.filter((a) => Object.keys(a).length > 0 && !(a.type === "null"));
  if (alternatives && alternatives.length > 0) return alternatives.map(describeType).join(" or ");
  if (s.enum) return `one of ${s.enum.map((v) => String(v)).join(" | ")}`;
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.type === "array") return `list of ${s.items ? describeType(s.items) : "any"}`;
  if (s.type === "object") {
    const fields = Object.keys(s.properties ?? {});
    return fields.length > 0 ? `object {${fields.join(", ")}}` : "map";
  }
  const range =
    s.minimum !== undefined && s.maximum !== undefined
      ? ` ${s.minimum}–${s.maximum}`
      : s.minimum !== undefined
        ? ` ≥ ${s.minimum}`
        : s.maximum !== undefined
          ? ` ≤ ${s.maximum}`
          : "";
  const base = Array.isArray(s.type) ? s.type.join(" or ") : (s.type ?? "any");
  return `${base === "integer" ? "integer" : base === "number" ? "number" : base}${range}${s.format ? ` (${s.format})` : ""}`;
}

/**
 * The settings reference of a contract, from its declaration: key, type, default, description,
 * and for a discriminated union which variant a key belongs to.
 */
export function settingsReference(contract: Contract<z.ZodType>): SettingReference[] {
  const json = z.toJSONSchema(contract.settings, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const variants = json.oneOf ?? json.anyOf ?? [json];
  const discriminator = variants.length > 1 ? findDiscriminator(variants) : undefined;
  const rows = new Map<string, SettingReference>();
  /** Per key, the default each variant gives it: a shared key may default differently per target. */
  const defaults = new Map<string, { when: string | undefined; value: string }[]>();
  for (const variant of variants) {
    const when = discriminator ? `${discriminator} = ${JSON.stringify(variant.properties?.[discriminator]?.const ?? variant.properties?.[discriminator]?.enum?.[0])}` : undefined;
    for (const [key, field, required] of flatten(variant)) {
      defaults.set(key, [...(defaults.get(key) ?? []), { when, value: field.default === undefined ? "—" : JSON.stringify(field.default) }]);
      const existing = rows.get(key);
      if (existing) {
        if (existing.onlyWhen && when && !existing.onlyWhen.includes(when)) existing.onlyWhen = `${existing.onlyWhen}, ${when}`;
        continue;
      }
      rows.set(key, {
        key,
        type: describeType(field),
        default: field.default === undefined ? "—" : JSON.stringify(field.default),
        description: field.description ?? "",
        onlyWhen: key === discriminator ? undefined : when,
        required,
      });
    }
  }
  // The discriminator takes every variant's value.
  const discriminatorRow = discriminator === undefined ? undefined : rows.get(discriminator);
  if (discriminatorRow !== undefined) {
    const values = variants.map((v) => v.properties?.[discriminator!]?.const ?? v.properties?.[discriminator!]?.enum?.[0]);
    discriminatorRow.type = `one of ${values.map((v) => String(v)).join(" | ")}`;
    const withDefault = variants.map((v) => v.properties?.[discriminator!]?.default).find((d) => d !== undefined);
    discriminatorRow.default = withDefault === undefined ? "—" : JSON.stringify(withDefault);
  }
  for (const [key, perVariant] of defaults) {
    const row = rows.get(key)!;
    if (key !== discriminator && new Set(perVariant.map((d) => d.value)).size > 1) row.default = perVariant.map((d) => `${d.value} (${d.when})`).join(", ");
  }
  // A key present in every variant is not variant-specific.
  for (const row of rows.values()) {
    if (discriminator && defaults.get(row.key)!.length === variants.length) row.onlyWhen = undefined;
  }
  return [...rows.values()];
}

/** The settings of an object schema, nested objects flattened into dotted keys ("alarms.createTopic"). */
function flatten(schema: JsonSchema, prefix = ""): [string, JsonSchema, boolean][] {
  return Object.entries(schema.properties ?? {}).flatMap(([key, field]): [string, JsonSchema, boolean][] => {
    const path = `${prefix}${key}`;
    if (field.type === "object" && field.properties && Object.keys(field.properties).length > 0) return flatten(field, `${path}.`);
    return [[path, field, (schema.required ?? []).includes(key) && field.default === undefined]];
  });
}

function findDiscriminator(variants: JsonSchema[]): string | undefined {
  const first = variants[0].properties ?? {};
  return Object.keys(first).find((key) => variants.every((v) => v.properties?.[key]?.const !== undefined || v.properties?.[key]?.enum?.length === 1));
}

/**
 * A handler's environment, typed by its contract: exactly the variables the contract declares
 * (a missing or extra one fails `tsc`), each an Input.
 */
export function environmentFor<Env extends string>(
  _contract: FunctionContract<Env>,
  values: { [E in Env]: pulumi.Input<string> },
): { [E in Env]: pulumi.Input<string> } {
  return values;
}
