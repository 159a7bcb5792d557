import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { formatSendSteps, SEND_STEPS_ENV, sendStepConfigProblems, type SendStepConfig } from "../../functions/shared/sending/contract";
import type { PolicyStatement } from "./iam";
import { sendGuaranteeEnvironment, type PlatformArgs } from "./platform";
import { personalizeStepStatements, templateStepStatements } from "../campaigns/send-step-statements";

/**
 * The sending-settings group of a component whose functions send (#2, #8, #9): the steps its
 * senders run around every send (functions/shared/sending). A component takes it as `sending`,
 * sets `sendingEnvironment(args)` on each sending function and adds `sendingStatements(args)` to
 * its policy.
 */
export interface SendingArgs {
  /** In order; each name registered in functions/shared/sending/registry.ts and declared below. Default none. */
  steps?: SendStepInput[];
}

/**
 * A step as a component takes it: its settings may hold Pulumi outputs (a bucket another component
 * creates, for a step that architecture contributes; see stacks/architectures/send-steps.ts).
 */
export interface SendStepInput {
  name: string;
  settings?: Record<string, pulumi.Input<unknown>>;
}

/**
 * The `sending` setting of a sending architecture's contract: spread into its settings shape, so
 * the stack config, the component's validation and the docs all carry it.
 */
export const SENDING_SETTING = z
  // Entries are checked by sendingProblems below, which reports each with its index.
  .strictObject({
    steps: z
      .array(z.custom<SendStepInput>(() => true))
      .default([])
      .describe("Steps the senders run before and after every send (functions/shared/sending), each {name, settings}. Steps another enabled architecture contributes (the archiver, send-time attributes, templates) are added after these."),
  })
  .default({ steps: [] })
  .superRefine((value, ctx) => {
    for (const message of sendingProblems({ sending: value as SendingArgs }, SEND_STEP_DECLARATIONS, "steps")) ctx.addIssue({ code: "custom", message });
  });

/** What a step needs from the infrastructure. Every step in the handler registry declares one. */
export interface SendStepDeclaration {
  /** The IAM statements the sending function needs to run the step with these settings. */
  statements(settings: Record<string, unknown>): pulumi.Input<PolicyStatement>[];
}

/** The component side of the handler registry (SEND_STEP_FACTORIES), by step name. */
export const SEND_STEP_DECLARATIONS: Readonly<Record<string, SendStepDeclaration>> = Object.freeze({
  // #6 (functions/shared/sending/archive-step.ts): settings {bucket, bucketArn, prefix, kmsKeyArn?}.
  archive: { statements: archiveStepStatements },
  // #11 (functions/shared/sending/personalize-step.ts): settings {tableName, tableArn, ...}.
  sendTimeAttributes: { statements: personalizeStepStatements },
  // #12 (functions/shared/sending/template-step.ts): settings {bucketName, bucketArn, prefix, indexTableArn?, offers?, ...}.
  externalTemplates: { statements: templateStepStatements },
});

/**
 * #6's archive step: write archive objects under the prefix, and read one back (HeadObject) only
 * to replace an UNKNOWN record by the SENT one; encrypt with the bucket's key when it has one.
 */
function archiveStepStatements(settings: Record<string, unknown>): pulumi.Input<PolicyStatement>[] {
  const objects = pulumi.interpolate`${settings.bucketArn as pulumi.Input<string>}/${(settings.prefix as string | undefined) ?? "archive"}/*`;
  const statements: pulumi.Input<PolicyStatement>[] = [{ Sid: "ArchiveMessages", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: objects }];
  if (settings.kmsKeyArn !== undefined) {
    statements.push({ Sid: "EncryptArchive", Effect: "Allow", Action: "kms:GenerateDataKey", Resource: settings.kmsKeyArn as pulumi.Input<string> });
  }
  return statements;
}

type SendingSettings = { sending?: SendingArgs };

/** Problems with `args.sending`, each naming its key: an empty list means valid. */
export function sendingProblems(args: SendingSettings, declarations = SEND_STEP_DECLARATIONS, where = "sending.steps"): string[] {
  const steps = args.sending?.steps;
  if (steps === undefined) return [];
  const problems = sendStepConfigProblems(steps, where);
  if (problems.length > 0) return problems;
  const known = Object.keys(declarations).join(", ") || "none";
  return steps.flatMap((s, i) => (Object.hasOwn(declarations, s.name) ? [] : [`${where}[${i}]: unknown send step "${s.name}" (registered: ${known})`]));
}

function configuredSteps(args: SendingSettings, declarations: Readonly<Record<string, SendStepDeclaration>>): SendStepInput[] {
  const problems = sendingProblems(args, declarations);
  if (problems.length > 0) throw new Error(problems.join("; "));
  return args.sending?.steps ?? [];
}

/** True when a value holds an output or a promise anywhere (JSON.stringify would mangle it). */
function holdsUnresolved(value: unknown): boolean {
  if (pulumi.Output.isInstance(value) || value instanceof Promise) return true;
  if (Array.isArray(value)) return value.some(holdsUnresolved);
  if (typeof value === "object" && value !== null) return Object.values(value).some(holdsUnresolved);
  return false;
}

/**
 * The environment of a sending function: its send guarantee, and SEND_STEPS when steps are
 * configured (absent otherwise, so an unconfigured function's environment is unchanged). SEND_STEPS
 * is a plain string when every setting is known, and an output once the settings are resolved otherwise.
 */
export function sendingEnvironment(
  args: SendingSettings & Pick<PlatformArgs, "sendGuarantee">,
  declarations = SEND_STEP_DECLARATIONS,
): Record<string, pulumi.Input<string>> {
  const steps = configuredSteps(args, declarations);
  if (steps.length === 0) return { ...sendGuaranteeEnvironment(args) };
  const value = holdsUnresolved(steps)
    ? pulumi.output(steps).apply((resolved) => formatSendSteps(resolved as SendStepConfig[]))
    : formatSendSteps(steps as SendStepConfig[]);
  return { ...sendGuaranteeEnvironment(args), [SEND_STEPS_ENV]: value };
}

/** The statements the configured steps need, in step order: none when no step is configured. */
export function sendingStatements(args: SendingSettings, declarations = SEND_STEP_DECLARATIONS): pulumi.Input<PolicyStatement>[] {
  return configuredSteps(args, declarations).flatMap((s) => declarations[s.name]!.statements(s.settings ?? {}));
}
