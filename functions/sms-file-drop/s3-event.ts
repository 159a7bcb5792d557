/**
 * The two ways an "object created" reaches the splitter, normalized to one shape. Pure.
 *
 * - Classic S3 event notification (bucket notification → Lambda): `Records[].s3`. The key is
 *   URL-encoded with spaces as "+" (spec 01 §0.5), so it is decoded with
 *   decodeURIComponent(key.replace(/\+/g, " ")).
 * - EventBridge (bucket with EventBridge notifications on, rule on detail-type "Object Created"):
 *   `detail.bucket.name`, `detail.object.{key,size,etag,version-id}`. The key is used as delivered
 *   (not URL-encoded; ⚠️ not re-verified against a live event).
 *
 * The schemas are deliberately narrower than Powertools' S3 schemas, which also validate fields we
 * never read (e.g. an IPv4-only sourceIPAddress that rejects IPv6 uploads).
 */
import * as z from "zod";

export interface ObjectRef {
  bucket: string;
  key: string;
  /** ETag without quotes; undefined when the event does not carry one. */
  etag?: string;
  size?: number;
  versionId?: string;
}

const ClassicRecordSchema = z.looseObject({
  eventSource: z.literal("aws:s3"),
  eventName: z.string(),
  s3: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      key: z.string().min(1),
      size: z.number().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().nullish(),
    }),
  }),
});

export const ClassicS3EventSchema = z.looseObject({ Records: z.array(ClassicRecordSchema).min(1) });

export const EventBridgeObjectCreatedSchema = z.looseObject({
  source: z.literal("aws.s3"),
  "detail-type": z.literal("Object Created"),
  detail: z.looseObject({
    bucket: z.looseObject({ name: z.string().min(1) }),
    object: z.looseObject({
      key: z.string().min(1),
      size: z.number().nonnegative().optional(),
      etag: z.string().optional(),
      "version-id": z.string().optional(),
    }),
  }),
});

export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, " "));
}

export function stripEtagQuotes(etag: string): string {
  return etag.replace(/^"|"$/g, "");
}

/** Objects named by the event, or an error naming what was expected. Non-create records are dropped. */
export function parseObjectCreatedEvent(event: unknown): ObjectRef[] {
  const eventBridge = EventBridgeObjectCreatedSchema.safeParse(event);
  if (eventBridge.success) {
    const { bucket, object } = eventBridge.data.detail;
    return [
      {
        bucket: bucket.name,
        key: object.key,
        etag: object.etag === undefined ? undefined : stripEtagQuotes(object.etag),
        size: object.size,
        versionId: object["version-id"],
      },
    ];
  }
  const classic = ClassicS3EventSchema.safeParse(event);
  if (classic.success) {
    return classic.data.Records.filter((r) => r.eventName.startsWith("ObjectCreated:")).map((r) => ({
      bucket: r.s3.bucket.name,
      key: decodeS3EventKey(r.s3.object.key),
      etag: r.s3.object.eTag === undefined ? undefined : stripEtagQuotes(r.s3.object.eTag),
      size: r.s3.object.size,
      versionId: r.s3.object.versionId ?? undefined,
    }));
  }
  const detail = [...eventBridge.error.issues, ...classic.error.issues]
    .slice(0, 6)
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ");
  throw new Error(`Event is neither an EventBridge "Object Created" event nor an S3 ObjectCreated notification (${detail})`);
}
