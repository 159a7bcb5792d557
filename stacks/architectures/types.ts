import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import type { PlatformArgs } from "../../components/shared/platform";
import { StackDefaults } from "../config/schema";

/** What every architecture's builder gets besides its own config. */
export interface BuildContext {
  defaults: StackDefaults;
  /** Alarm actions for every alarm (empty when alarms go nowhere). */
  alarmActions: pulumi.Input<string>[];
  /** Components built so far, by architecture key, for architectures that compose others. */
  built: Map<string, pulumi.ComponentResource>;
}

/**
 * One architecture as the stack sees it: its config key, its schema (a strict object with
 * `enabled`), and how to build it. Outputs are what `pulumi stack output` shows for it.
 */
export interface ArchitectureModule<Schema extends z.ZodType<{ enabled: boolean }> = z.ZodType<{ enabled: boolean }>> {
  /** The config key, e.g. "sesEventProcessing". */
  key: string;
  /** Human title with the seed's number, e.g. "#1 SES Event Processing". */
  title: string;
  schema: Schema;
  /** The smallest config that enables it: used to build every architecture at once in tests. */
  minimalConfig: Record<string, unknown> & { enabled: true };
  build(config: z.infer<Schema>, ctx: BuildContext): { component: pulumi.ComponentResource; outputs: Record<string, pulumi.Input<unknown>> };
  /**
   * The existing SES configuration sets this architecture adds an event destination to, each with
   * the config key that names it. The stack rejects two destinations in one configuration set.
   * Omit when the architecture adds none (or only to a configuration set it creates).
   */
  sesEventDestinations?(config: z.infer<Schema>): SesEventDestinationUse[];
}

/** An existing configuration set an architecture routes events from, and the key that names it. */
export interface SesEventDestinationUse {
  configurationSetName: string;
  /** Path of the key within the architecture's config, e.g. "existingConfigurationSetName". */
  key: string;
}

/** Helper so each module is type-checked against its own schema. */
export function defineArchitecture<Schema extends z.ZodType<{ enabled: boolean }>>(module: ArchitectureModule<Schema>): ArchitectureModule<Schema> {
  return module;
}

/** The stack-wide platform settings for a component, with the architecture's own log retention if set. */
export function platformArgs(ctx: BuildContext, logRetentionInDays?: number): PlatformArgs {
  return {
    logRetentionInDays: logRetentionInDays ?? ctx.defaults.logRetentionInDays,
    runtime: ctx.defaults.runtime,
    architecture: ctx.defaults.architecture,
    tracing: ctx.defaults.tracing,
    logLevel: ctx.defaults.logLevel,
    tableDeletionProtection: ctx.defaults.tableDeletionProtection,
    sendGuarantee: ctx.defaults.sendGuarantee,
    alarmActions: ctx.alarmActions,
  };
}
