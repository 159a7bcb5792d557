import * as z from "zod";

/**
 * The classic S3 event notification delivered straight to Lambda (spec 01 §0.5). Only the fields
 * the processor reads are validated. Powertools' S3Schema is not used because it accepts only
 * IPv4 (or "s3.amazonaws.com") in requestParameters.sourceIPAddress and would reject an event
 * for an object written over IPv6.
 */
export const S3NotificationRecordSchema = z.looseObject({
  eventSource: z.literal("aws:s3"),
  eventName: z.string(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      key: z.string().min(1),
      size: z.number().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
    }),
  }),
});

export const S3NotificationEventSchema = z.looseObject({
  Records: z.array(S3NotificationRecordSchema).min(1),
});

export type S3NotificationRecord = z.infer<typeof S3NotificationRecordSchema>;

/**
 * Object keys in S3 notifications are URL-encoded with spaces as "+" (documented S3 behaviour):
 * `events/a+b%3Dc.json` is the key `events/a b=c.json`.
 */
export function decodeS3Key(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}
