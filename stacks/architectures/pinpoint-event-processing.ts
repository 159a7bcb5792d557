import * as z from "zod";
import { PinpointEventProcessing } from "../../components/email/pinpoint-event-processing";
import { logRetention } from "../config/schema";
import { defineArchitecture, platformArgs } from "./types";

export const pinpointEventProcessingSchema = z
  .strictObject({
    enabled: z.boolean(),
    /** "configuration-set" (default, #1 fed by the configuration set) or "pinpoint-event-stream" (legacy). */
    source: z.enum(["configuration-set", "pinpoint-event-stream"]).default("configuration-set"),
    /** configuration-set: the configuration set Pinpoint email was sent with. Default: one is created. */
    configurationSetName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, hyphens or underscores").optional(),
    enableAccountSuppression: z.boolean().optional(),
    /** pinpoint-event-stream: the project whose (single) event stream this replaces. */
    existingPinpointApplicationId: z.string().regex(/^[a-f0-9]{32}$/, "must be a 32-character hexadecimal Pinpoint project id").optional(),
    createPinpointApplication: z.boolean().optional(),
    pinpointApplicationName: z.string().min(1).optional(),
    bufferIntervalSeconds: z.int().min(60).max(900).optional(),
    bufferSizeMb: z.int().min(1).max(128).optional(),
    eventRetentionDays: z.int().min(1).max(3650).optional(),
    existingContactTableName: z.string().min(3).max(255).optional(),
    complaintExemptFeedbackTypes: z.array(z.enum(["abuse", "auth-failure", "fraud", "not-spam", "other", "virus"])).default(["not-spam"]),
    timeoutSeconds: z.int().min(1).max(900).optional(),
    memorySizeMb: z.int().min(128).max(10240).default(256),
    logRetentionInDays: logRetention.optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.enabled) return;
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const legacy = c.source === "pinpoint-event-stream";
    const legacyKeys = [
      "existingPinpointApplicationId",
      "createPinpointApplication",
      "pinpointApplicationName",
      "bufferIntervalSeconds",
      "bufferSizeMb",
      "eventRetentionDays",
    ] as const;
    if (!legacy) for (const key of legacyKeys) if (c[key] !== undefined) issue(key, 'applies only to source "pinpoint-event-stream"');
    if (legacy) {
      for (const key of ["configurationSetName", "enableAccountSuppression"] as const) {
        if (c[key] !== undefined) issue(key, 'applies only to source "configuration-set"');
      }
      if ((c.existingPinpointApplicationId === undefined) === (c.createPinpointApplication !== true)) {
        issue("existingPinpointApplicationId", "set exactly one of existingPinpointApplicationId or createPinpointApplication: true");
      }
    }
  });

export const pinpointEventProcessingArchitecture = defineArchitecture({
  key: "pinpointEventProcessing",
  title: "#4 Pinpoint Event Processing",
  schema: pinpointEventProcessingSchema,
  minimalConfig: { enabled: true },
  // Source "configuration-set" composes #1, which adds its destination to this configuration set.
  sesEventDestinations: (config) =>
    config.source === "configuration-set" && config.configurationSetName !== undefined
      ? [{ configurationSetName: config.configurationSetName, key: "configurationSetName" }]
      : [],
  build(config, ctx) {
    const { enabled: _enabled, logRetentionInDays, ...settings } = config;
    const component = new PinpointEventProcessing("pinpoint-event-processing", {
      ...settings,
      ...platformArgs(ctx, logRetentionInDays),
    });
    const ses = component.sesEventProcessing;
    return {
      component,
      outputs: {
        source: component.source,
        functionName: component.function.name,
        ...(ses ? { configurationSetName: ses.configurationSetName, eventDestinationName: ses.eventDestinationName, queueUrl: ses.queue.url } : {}),
        ...(component.bucket ? { eventsBucketName: component.bucket.bucket } : {}),
        ...(component.deliveryStream ? { deliveryStreamName: component.deliveryStream.name } : {}),
        ...(component.applicationId ? { pinpointApplicationId: component.applicationId } : {}),
        ...(component.failureQueue ? { failureQueueUrl: component.failureQueue.url } : {}),
      },
    };
  },
});
