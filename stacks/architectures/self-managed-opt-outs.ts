import * as z from "zod";
import {
  FREE_TEXT_POLICIES,
  MESSAGE_TYPES,
  MIN_TIMEOUT_SECONDS,
  OPT_OUT_MODES,
  PHONE_NUMBER_TYPES,
  REPLY_ORDERS,
  SMS_TARGETS,
  SelfManagedOptOuts,
} from "../../components/sms/self-managed-opt-outs";
import { logRetention } from "../config/schema";
import { defineArchitecture, platformArgs } from "./types";

const keywordList = z.array(z.string().min(1)).min(1);
const reply = z.string().min(1).max(1600);

export const selfManagedOptOutsSchema = z
  .strictObject({
    enabled: z.boolean(),
    /** "end-user-messaging" (default) or the legacy "pinpoint" wiring (needs pinpointApplicationId). */
    target: z.enum(SMS_TARGETS).default("end-user-messaging"),
    pinpointApplicationId: z.string().regex(/^[A-Za-z0-9]{1,64}$/, "must be a Pinpoint project id").optional(),
    /** Request a number here (with the three phoneNumber* settings), or name an existing number or pool. */
    createPhoneNumber: z.boolean().default(false),
    phoneNumberIsoCountryCode: z.string().regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as US").optional(),
    phoneNumberType: z.enum(PHONE_NUMBER_TYPES).optional(),
    phoneNumberMessageType: z.enum(MESSAGE_TYPES).optional(),
    phoneNumberRegistrationId: z.string().min(1).optional(),
    phoneNumberDeletionProtection: z.boolean().optional(),
    phoneNumberWaitForActive: z.boolean().optional(),
    existingPhoneNumberId: z.string().min(1).optional(),
    existingPoolId: z.string().min(1).optional(),
    existingOptOutListName: z.string().regex(/^[A-Za-z0-9_:/-]{1,256}$/, "must be an opt-out list name or ARN").optional(),
    /** The transactional exemption: see the README section "Transactional messages after STOP". */
    optOutMode: z.enum(OPT_OUT_MODES).default("opt-out-list"),
    optOutReplyOrder: z.enum(REPLY_ORDERS).default("before-opt-out-list"),
    optOutReply: reply.optional(),
    optInReply: reply.optional(),
    helpReply: reply.optional(),
    optOutKeywords: keywordList.optional(),
    optInKeywords: keywordList.optional(),
    helpKeywords: keywordList.optional(),
    /** A message that is not a keyword: "flag" (default) publishes it for review, "ignore" counts it. */
    freeTextOptOut: z.enum(FREE_TEXT_POLICIES).default("flag"),
    configurationSetName: z.string().regex(/^[A-Za-z0-9_:/-]{1,256}$/, "must be a configuration set name or ARN").optional(),
    existingPreferenceTableName: z.string().min(3).max(255).optional(),
    existingEventsTopicArn: z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/, "must be an SNS topic ARN").optional(),
    existingEventsTopicKmsKeyArn: z.string().regex(/^arn:aws[a-z-]*:kms:/, "must be a KMS key ARN").optional(),
    timeoutSeconds: z.int().min(MIN_TIMEOUT_SECONDS).max(900).default(30),
    memorySizeMb: z.int().min(128).max(10240).default(256),
    logRetentionInDays: logRetention.optional(),
  })
  .superRefine((c, ctx) => {
    if (!c.enabled) return;
    const sources = [c.createPhoneNumber, c.existingPhoneNumberId !== undefined, c.existingPoolId !== undefined].filter(Boolean).length;
    if (sources !== 1) {
      ctx.addIssue({ code: "custom", path: ["createPhoneNumber"], message: "set exactly one of createPhoneNumber: true, existingPhoneNumberId or existingPoolId" });
    }
    if (c.target === "pinpoint" && c.pinpointApplicationId === undefined) {
      ctx.addIssue({ code: "custom", path: ["pinpointApplicationId"], message: 'is required when target is "pinpoint"' });
    }
  });

export const selfManagedOptOutsArchitecture = defineArchitecture({
  key: "selfManagedOptOuts",
  title: "#8 Self-Managed Opt Outs",
  schema: selfManagedOptOutsSchema,
  minimalConfig: { enabled: true, existingPhoneNumberId: "phone-0123456789abcdef0123456789abcdef" },
  build(config, ctx) {
    const { enabled: _enabled, logRetentionInDays, createPhoneNumber, ...settings } = config;
    const component = new SelfManagedOptOuts("self-managed-opt-outs", {
      ...settings,
      ...(createPhoneNumber ? { createPhoneNumber } : {}),
      ...platformArgs(ctx, logRetentionInDays),
    });
    return {
      component,
      outputs: {
        topicArn: component.topic.arn,
        eventsTopicArn: component.eventsTopicArn,
        optOutListName: component.optOutListName,
        originationIdentity: component.originationIdentity,
        originationIdentityUpdateCommand: component.originationIdentityUpdateCommand,
        preferenceTableName: component.preferenceTableName,
        failureQueueUrl: component.failureQueue.url,
        functionName: component.function.name,
      },
    };
  },
});
