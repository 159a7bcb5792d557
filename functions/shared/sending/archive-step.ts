/**
 * The "archive" send step (#6, Message Archiver): after each send, one archive object per message
 * in the per-recipient layout (functions/shared/archive/layout.ts), in the archiver's bucket.
 *
 * - SMS: a JSON record (body, origination, destination, time, message id, context) for SENT and
 *   UNKNOWN outcomes (an unknown outcome may have gone out). Opted-out, failed and skipped messages
 *   were not sent and are not archived.
 * - Email (optional; the default email archive is SES's Mail Manager archiving): the message as
 *   MIME, for SENT outcomes.
 * - The key is deterministic from the idempotency key and the recipient, and the write is
 *   conditional (store.ts): a redelivery writes nothing. An UNKNOWN record is replaced once by
 *   the SENT record of an at-least-once re-send.
 * - Never throws into the send path by contract of `withSteps` (an `after` error is reported and
 *   the outcome stands); the write's own errors are retried by the SDK (adaptive) first.
 */
import { S3Client } from "@aws-sdk/client-s3";
import * as z from "zod";
import { ARCHIVE_PREFIX_PATTERN, ARCHIVE_STEP, DEFAULT_ARCHIVE_PREFIX } from "../archive/layout";
import { buildArchiveMime } from "../archive/mime";
import { emailArchiveMessage, smsArchiveRecord } from "../archive/record";
import { S3ArchiveStore, type ArchiveStore } from "../archive/store";
import { sdkClientConfig } from "../runtime/aws-clients";
import type { ChannelStep } from "./channels";
import type { SendStepFactory } from "./registry";

export { ARCHIVE_STEP };

/** The step's settings, as SEND_STEPS carries them (the archiver component fills them). */
export const ArchiveStepSettingsSchema = z.strictObject({
  bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name"),
  prefix: z.string().regex(ARCHIVE_PREFIX_PATTERN, 'must be a key prefix without leading or trailing "/"').default(DEFAULT_ARCHIVE_PREFIX),
  /** The bucket's ARN and KMS key: the component grants the sender access from them; unused at run time. */
  bucketArn: z.string().regex(/^arn:aws[a-z-]*:s3:::/, "must be an S3 bucket ARN").optional(),
  kmsKeyArn: z.string().regex(/^arn:aws[a-z-]*:kms:/, "must be a KMS key ARN").optional(),
});
export type ArchiveStepSettings = z.output<typeof ArchiveStepSettingsSchema>;

export interface ArchiveStepDeps {
  store: ArchiveStore;
  clock?: () => Date;
}

function parseSettings(settings: Record<string, unknown>): ArchiveStepSettings {
  const parsed = ArchiveStepSettingsSchema.safeParse(settings);
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join(".") || "settings"}: ${i.message}`).join("; "));
  return parsed.data;
}

export function smsArchiveStep(settings: ArchiveStepSettings, deps: ArchiveStepDeps): ChannelStep<"sms"> {
  const clock = deps.clock ?? (() => new Date(Date.now()));
  return {
    name: ARCHIVE_STEP,
    async after(request, outcome, ctx) {
      if (outcome.status !== "SENT" && outcome.status !== "UNKNOWN") return;
      const planned = smsArchiveRecord(
        settings.prefix,
        request,
        { status: outcome.status, messageId: outcome.status === "SENT" ? outcome.messageId : undefined },
        ctx.idempotencyKey,
        clock(),
      );
      await deps.store.putOnce(
        {
          key: planned.key,
          body: JSON.stringify(planned.content),
          contentType: "application/json; charset=utf-8",
          metadata: { channel: "sms", status: outcome.status },
        },
        // The final record of an at-least-once re-send replaces the "may have been sent" one.
        outcome.status === "SENT" ? { replaceIf: (existing) => existing.status === "UNKNOWN" } : {},
      );
    },
  };
}

export function emailArchiveStep(settings: ArchiveStepSettings, deps: ArchiveStepDeps): ChannelStep<"email"> {
  const clock = deps.clock ?? (() => new Date(Date.now()));
  return {
    name: ARCHIVE_STEP,
    async after(request, outcome, ctx) {
      if (outcome.status !== "SENT") return;
      const planned = emailArchiveMessage(settings.prefix, request, outcome.messageId, ctx.idempotencyKey, clock());
      await deps.store.putOnce({
        key: planned.key,
        body: await buildArchiveMime(planned.content),
        contentType: "message/rfc822",
        metadata: { channel: "email", status: "SENT" },
      });
    },
  };
}

/** One S3 client per container, created on first use (a sender without the step never makes one). */
let s3: S3Client | undefined;
const storeFor = (bucket: string) => new S3ArchiveStore((s3 ??= new S3Client({ ...sdkClientConfig() })), bucket);

export const ARCHIVE_STEP_FACTORY: SendStepFactory = {
  name: ARCHIVE_STEP,
  create: {
    sms: (raw) => {
      const settings = parseSettings(raw);
      return smsArchiveStep(settings, { store: storeFor(settings.bucket) });
    },
    email: (raw) => {
      const settings = parseSettings(raw);
      return emailArchiveStep(settings, { store: storeFor(settings.bucket) });
    },
  },
};
