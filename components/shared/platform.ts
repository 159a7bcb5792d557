import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_SEND_GUARANTEE, SEND_GUARANTEE_ENV, type SendGuarantee } from "../../functions/shared/runtime/send-guarantee";

/**
 * Settings every architecture component takes for the functions, tables and alarms it creates.
 * The stack fills them from `digital-user-engagement:defaults`; a platform team using a component
 * directly gets the secure defaults below.
 */
export interface PlatformArgs {
  /** Retention of the component's function log groups, days. Default 30. */
  logRetentionInDays?: number;
  /** Lambda runtime. Default "nodejs22.x". */
  runtime?: string;
  /** Lambda architecture. Default "arm64". */
  architecture?: "arm64" | "x86_64";
  /** X-Ray tracing. Default "Active". */
  tracing?: "Active" | "PassThrough";
  /** Powertools log level. Default "INFO". */
  logLevel?: string;
  /** Deletion protection on the tables the component creates. Default false. */
  tableDeletionProtection?: boolean;
  /**
   * What the component's senders do when a send's outcome is unknown (timeout, reset, 5xx):
   * "at-most-once" records it as UNKNOWN and alarms; "at-least-once" sends again. Default
   * "at-most-once". See functions/shared/runtime/send-guarantee.ts.
   */
  sendGuarantee?: SendGuarantee;
  /** SNS topics (ARNs) notified by every alarm the component creates. Default none. */
  alarmActions?: pulumi.Input<pulumi.Input<string>[]>;
  /** A CloudWatch dashboard for the component (components/shared/dashboard.ts). Default true. */
  dashboards?: boolean;
}

/** The function-level platform settings, to spread into a BundledFunction's args. */
export function functionPlatform(args: PlatformArgs) {
  return {
    logRetentionInDays: args.logRetentionInDays,
    runtime: args.runtime,
    architecture: args.architecture,
    tracing: args.tracing,
    logLevel: args.logLevel,
  };
}

/** The environment a sending function needs for its send guarantee. */
export function sendGuaranteeEnvironment(args: PlatformArgs): Record<string, string> {
  return { [SEND_GUARANTEE_ENV]: args.sendGuarantee ?? DEFAULT_SEND_GUARANTEE };
}
