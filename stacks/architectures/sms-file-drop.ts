import * as z from "zod";
import type { SelfManagedOptOuts } from "../../components/sms/self-managed-opt-outs";
import { CSV_COLUMNS, identityArnError, reportPrefixOverlapError, SMS_FILE_DROP_TARGETS, SmsFileDrop } from "../../components/sms/sms-file-drop";
import { DEFAULT_REPORT_PREFIX, MAX_ATTEMPTS_LIMIT } from "../../functions/sms-file-drop/config";
import { logRetention } from "../config/schema";
import { defineArchitecture, platformArgs } from "./types";

export const smsFileDropSchema = z
  .strictObject({
    enabled: z.boolean(),
    /**
     * The allow-list of origination identities and their MPS; `arn` scopes the send permission and
     * is required for an E.164 number or a sender ID (end-user-messaging target).
     */
    originationIdentities: z
      .array(
        z.strictObject({
          identity: z.string().min(1).max(128),
          mps: z.number().positive().max(10_000),
          arn: z.string().regex(/^arn:aws[a-z-]*:sms-voice:/, "must be an sms-voice ARN").optional(),
        }),
      )
      .default([]),
    target: z.enum(SMS_FILE_DROP_TARGETS).default("end-user-messaging"),
    pinpointApplicationId: z.string().regex(/^[A-Za-z0-9]{1,64}$/, "must be a Pinpoint project id").optional(),
    /** Read from this bucket through EventBridge (its notifications are left alone); default: create one. */
    existingBucketName: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name").optional(),
    existingBucketKmsKeyArn: z.string().regex(/^arn:aws[a-z-]*:kms:/, "must be a KMS key ARN").optional(),
    prefix: z.string().regex(/^([A-Za-z0-9!_.'()-]+\/)*$/, 'must be a key prefix ending in "/"').default("files/"),
    /** Where error reports are written; must not overlap `prefix`. */
    reportPrefix: z.string().regex(/^([A-Za-z0-9!_.'()-]+\/)+$/, 'must be a key prefix ending in "/"').default(DEFAULT_REPORT_PREFIX),
    fileRetentionDays: z.int().min(1).max(3650).optional(),
    forceDestroyBucket: z.boolean().optional(),
    columnMap: z.partialRecord(z.enum(CSV_COLUMNS), z.string().min(1)).optional(),
    maxSegments: z.int().min(1).max(30).default(10),
    enqueueConcurrency: z.int().min(1).max(50).default(8),
    /** Skip PROMOTIONAL rows to numbers opted out here. Default: #8's table when #8 is enabled. */
    preferenceTableName: z.string().min(3).max(255).optional(),
    configurationSetName: z.string().regex(/^[A-Za-z0-9_:/-]{1,256}$/, "must be a configuration set name or ARN").optional(),
    existingEventsTopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN").optional(),
    existingEventsTopicKmsKeyArn: z.string().regex(/^arn:aws[a-z-]*:kms:/, "must be a KMS key ARN").optional(),
    splitterTimeoutSeconds: z.int().min(60).max(900).default(900),
    splitterMemorySizeMb: z.int().min(128).max(10240).default(1024),
    senderTimeoutSeconds: z.int().min(1).max(900).default(60),
    senderMemorySizeMb: z.int().min(128).max(10240).default(256),
    senderMaximumConcurrency: z.int().min(2).max(1000).default(2),
    batchSize: z.int().min(1).max(10).default(10),
    /** Attempts of one message before the DLQ (the queue's own redrive is maxReceiveCount × batchSize). */
    maxReceiveCount: z.int().min(1).max(MAX_ATTEMPTS_LIMIT).default(5),
    logRetentionInDays: logRetention.optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.enabled) return;
    if (c.originationIdentities.length === 0) {
      ctx.addIssue({ code: "custom", path: ["originationIdentities"], message: "list at least one origination identity with its mps" });
    }
    if (c.target === "pinpoint" && c.pinpointApplicationId === undefined) {
      ctx.addIssue({ code: "custom", path: ["pinpointApplicationId"], message: 'is required when target is "pinpoint"' });
    }
    const overlap = reportPrefixOverlapError(c.prefix, c.reportPrefix);
    if (overlap !== undefined) ctx.addIssue({ code: "custom", path: ["reportPrefix"], message: overlap });
    if (c.target === "end-user-messaging") {
      c.originationIdentities.forEach(({ identity, arn }, i) => {
        const error = identityArnError(i, identity, arn);
        if (error !== undefined) ctx.addIssue({ code: "custom", path: ["originationIdentities", i, "arn"], message: error });
      });
    }
    if (c.maxReceiveCount * c.batchSize > 1000) {
      ctx.addIssue({ code: "custom", path: ["maxReceiveCount"], message: `maxReceiveCount × batchSize must be at most 1000, got ${c.maxReceiveCount} × ${c.batchSize}` });
    }
  });

export const smsFileDropArchitecture = defineArchitecture({
  key: "smsFileDrop",
  title: "#9 Sending SMS Triggered by S3 File Drop",
  schema: smsFileDropSchema,
  minimalConfig: { enabled: true, originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 1 }] },
  build(config, ctx) {
    const { enabled: _enabled, logRetentionInDays, preferenceTableName, ...settings } = config;
    // Promotional rows honour the opt-outs #8 records, when #8 is part of the stack.
    const optOuts = ctx.built.get("selfManagedOptOuts") as SelfManagedOptOuts | undefined;
    const component = new SmsFileDrop("sms-file-drop", {
      ...settings,
      preferenceTableName: preferenceTableName ?? optOuts?.preferenceTableName,
      ...platformArgs(ctx, logRetentionInDays),
    });
    return {
      component,
      outputs: {
        bucketName: component.bucketName,
        queueUrl: component.queue.url,
        deadLetterQueueUrl: component.deadLetterQueue.url,
        eventsTopicArn: component.eventsTopicArn,
        checkpointTableName: component.checkpointTable.name,
        outcomeTableName: component.outcomeTable.name,
        failureQueueUrl: component.failureQueue.url,
        splitterFunctionName: component.splitter.name,
        senderFunctionName: component.sender.name,
      },
    };
  },
});
