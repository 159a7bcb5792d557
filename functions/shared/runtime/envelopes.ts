/**
 * Envelope schemas for the AWS event shapes our handlers receive (SNS notifications, SNS Lambda
 * records, EventBridge events), with the fields the AWS docs list. They stand in for the
 * Powertools parser's built-in schemas, which import zod as `import { z } from "zod"`: esbuild
 * cannot tree-shake that object, and it adds about 370 KB (every locale, the JSON-schema code) to
 * each bundle. Written as `import * as z`, zod costs about 70 KB.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html
 * https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 */
import * as z from "zod";

const SnsMessageAttributeSchema = z.object({ Type: z.string(), Value: z.string() });

/** An SNS notification as SNS delivers it to SQS (raw delivery off) or HTTP. */
export const SnsNotificationSchema = z.looseObject({
  Type: z.literal("Notification"),
  MessageId: z.string(),
  TopicArn: z.string(),
  Subject: z.string().nullish(),
  Message: z.string(),
  Timestamp: z.string(),
  SignatureVersion: z.string().optional(),
  Signature: z.string().optional(),
  SigningCertURL: z.string().optional(),
  SigningCertUrl: z.string().optional(),
  UnsubscribeURL: z.string().optional(),
  UnsubscribeUrl: z.string().optional(),
  MessageAttributes: z.record(z.string(), SnsMessageAttributeSchema).optional(),
});

/** One record of the event a Lambda subscribed to an SNS topic receives. */
export const SnsRecordSchema = z.looseObject({
  EventSource: z.literal("aws:sns"),
  EventVersion: z.string(),
  EventSubscriptionArn: z.string(),
  Sns: SnsNotificationSchema,
});

/** The event a Lambda subscribed to an SNS topic receives. */
export const SnsEventSchema = z.object({ Records: z.array(SnsRecordSchema).min(1) });

/** An EventBridge event; `detail` is left to the caller's own schema. */
export const EventBridgeEventSchema = z.looseObject({
  version: z.string(),
  id: z.string(),
  "detail-type": z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});
