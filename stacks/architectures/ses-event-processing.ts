import * as z from "zod";
import { SES_EVENT_TYPES, SesEventProcessing } from "../../components/email/ses-event-processing";
import { logRetention } from "../config/schema";
import { defineArchitecture, platformArgs } from "./types";

export const sesEventProcessingSchema = z.strictObject({
  enabled: z.boolean(),
  /** Use this configuration set instead of creating one. */
  existingConfigurationSetName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, hyphens or underscores").optional(),
  additionalEventTypes: z.array(z.enum(SES_EVENT_TYPES)).default([]),
  existingContactTableName: z.string().min(3).max(255).optional(),
  enableAccountSuppression: z.boolean().default(false),
  legacyNotificationIdentities: z.array(z.string().min(3)).default([]),
  complaintExemptFeedbackTypes: z.array(z.enum(["abuse", "auth-failure", "fraud", "not-spam", "other", "virus"])).default(["not-spam"]),
  transientBounceThreshold: z.int().min(0).max(1000).default(0),
  transientBounceWindowHours: z.int().min(1).max(2160).default(72),
  rawMessageDelivery: z.boolean().default(true),
  batchSize: z.int().min(1).max(10).default(10),
  maximumBatchingWindowSeconds: z.int().min(0).max(300).default(5),
  maximumConcurrency: z.int().min(2).max(1000).default(5),
  maxReceiveCount: z.int().min(1).max(1000).default(5),
  timeoutSeconds: z.int().min(1).max(900).default(60),
  memorySizeMb: z.int().min(128).max(10240).default(256),
  logRetentionInDays: logRetention.optional(),
});

export const sesEventProcessingArchitecture = defineArchitecture({
  key: "sesEventProcessing",
  title: "#1 SES Event Processing",
  schema: sesEventProcessingSchema,
  minimalConfig: { enabled: true },
  sesEventDestinations: (config) =>
    config.existingConfigurationSetName === undefined ? [] : [{ configurationSetName: config.existingConfigurationSetName, key: "existingConfigurationSetName" }],
  build(config, ctx) {
    const { enabled: _enabled, logRetentionInDays, ...settings } = config;
    const component = new SesEventProcessing("ses-event-processing", {
      ...settings,
      ...platformArgs(ctx, logRetentionInDays),
    });
    return {
      component,
      outputs: {
        configurationSetName: component.configurationSetName,
        eventDestinationName: component.eventDestinationName,
        topicArn: component.topic.arn,
        queueUrl: component.queue.url,
        deadLetterQueueUrl: component.deadLetterQueue.url,
        functionName: component.function.name,
        contactTableName: component.contactTableName,
      },
    };
  },
});
