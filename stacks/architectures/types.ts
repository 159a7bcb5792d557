import * as pulumi from "@pulumi/pulumi";
import type * as z from "zod";
import type { Contract } from "../../components/kit/contract";
import type { PlatformArgs } from "../../components/shared/platform";
import { StackDefaults } from "../config/schema";
import type { Capabilities, Capability, Provided } from "./composition";

/** What every architecture's builder gets besides its own settings. */
export interface BuildContext {
  defaults: StackDefaults;
  /** Alarm actions for every alarm (empty when alarms go nowhere). */
  alarmActions: pulumi.Input<string>[];
  /** The platform settings for this architecture's component (defaults plus its own log retention). */
  platform: PlatformArgs;
  /** What the architectures built before this one provide; see `requires` and `uses`. */
  capabilities: Capabilities;
}

/** An architecture's config as the stack holds it: `enabled`, its log retention, and its contract's settings. */
export type ArchitectureConfig<Settings = Record<string, unknown>> = { enabled: boolean; logRetentionInDays?: number } & Settings;

export interface BuildResult {
  component: pulumi.ComponentResource;
  /** What `pulumi stack output` shows for the architecture. */
  outputs: Record<string, pulumi.Input<unknown>>;
  /** A value for every capability the module declares in `provides`. */
  provided?: Provided[];
}

/**
 * One architecture as the stack sees it. Its settings are its component's contract, declared once;
 * the stack adds only `enabled` and `logRetentionInDays`. It says what it provides to other
 * architectures and what it requires or uses from them; the stack orders the builds and validates
 * all of it before any resource is registered.
 */
export interface ArchitectureModule<S extends z.ZodType = z.ZodType> {
  /** The config key, e.g. "sesEventProcessing". */
  key: string;
  /** The seed's number (1–13). */
  number: number;
  /** Human title with the seed's number, e.g. "#1 SES Event Processing". */
  title: string;
  /** The component's contract: its settings, their defaults, ranges and rules. */
  contract: Contract<S>;
  /** The smallest settings that build it (without `enabled`): used to build every architecture at once in tests. */
  minimalConfig: Record<string, unknown>;
  /** Keys an earlier version accepted, each with what to write instead. */
  renamedKeys?: Readonly<Record<string, string>>;
  provides?: readonly Capability<unknown>[];
  /** Capabilities these settings cannot build without (a config error when their provider is off). */
  requires?(settings: z.output<S>): readonly Capability<unknown>[];
  /** Capabilities these settings use when their provider is enabled. */
  uses?(settings: z.output<S>): readonly Capability<unknown>[];
  /**
   * The existing SES configuration sets this architecture adds an event destination to, each with
   * the config key that names it. The stack rejects two exclusive destinations of one kind in one set.
   */
  sesEventDestinations?(settings: z.output<S>): SesEventDestinationUse[];
  build(settings: ArchitectureConfig<z.output<S>>, ctx: BuildContext): BuildResult;
}

/** The exclusive kind of #1's and #4's destinations: feedback processing suppresses and counts. */
export const BOUNCE_AND_COMPLAINT_PROCESSING = "each bounce and complaint would be processed twice";

/** An existing configuration set an architecture routes events from, and the key that names it. */
export interface SesEventDestinationUse {
  configurationSetName: string;
  /** Path of the key within the architecture's config, e.g. "existingConfigurationSetName". */
  key: string;
  /**
   * Set when a second destination doing the same on one configuration set would be wrong: what would
   * go wrong ("each bounce and complaint would be processed twice"). The stack rejects two uses of one
   * set with the same text; destinations without it (an event lake, segmentation) share a set freely.
   */
  exclusive?: string;
}

/** Helper so each module is type-checked against its own contract. */
export function defineArchitecture<S extends z.ZodType>(module: ArchitectureModule<S>): ArchitectureModule<S> {
  return module;
}

/** The stack-wide platform settings for a component, with the architecture's own log retention if set. */
export function platformArgs(defaults: StackDefaults, alarmActions: pulumi.Input<string>[], logRetentionInDays?: number): PlatformArgs {
  return {
    logRetentionInDays: logRetentionInDays ?? defaults.logRetentionInDays,
    runtime: defaults.runtime,
    architecture: defaults.architecture,
    tracing: defaults.tracing,
    logLevel: defaults.logLevel,
    tableDeletionProtection: defaults.tableDeletionProtection,
    sendGuarantee: defaults.sendGuarantee,
    alarmActions,
    dashboards: defaults.dashboards,
  };
}
