/**
 * The EventBridge "Object Created" event of an S3 bucket with EventBridge notifications on, and
 * the object keys it may name. Pure.
 *
 * S3 URL-encodes keys in classic bucket notifications (a space arrives as "+"). Whether it does so
 * in EventBridge events is not documented, so `keyCandidates` returns the key as delivered and,
 * when it differs, its decoded form: the caller checks which one exists (HeadObject) and never
 * guesses. A key that is itself written with "%20" or "+" stays reachable as delivered.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
 */
import * as z from "zod";

export const ObjectCreatedEventSchema = z.looseObject({
  source: z.literal("aws.s3"),
  "detail-type": z.literal("Object Created"),
  detail: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      key: z.string().min(1),
      size: z.number().nonnegative().optional(),
      etag: z.string().optional(),
      "version-id": z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});
export type ObjectCreatedEvent = z.infer<typeof ObjectCreatedEventSchema>;

/** The classic notification's decoding: "+" is a space, then percent-escapes. Undefined when it is not valid encoding. */
export function decodeS3Key(key: string): string | undefined {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** The key as delivered first, then its decoded form when that differs (and is valid). */
export function keyCandidates(key: string): string[] {
  const decoded = decodeS3Key(key);
  return decoded === undefined || decoded === key ? [key] : [key, decoded];
}

export function stripEtagQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}
