import type * as pulumi from "@pulumi/pulumi";

/**
 * The EventBridge pattern for S3 "Object Created" events of one bucket, under `prefix`, with one of
 * `suffixes` (the bucket must send its events to EventBridge). Used by every architecture that a
 * file drop starts (#3, #9), so none of them writes the bucket's one notification configuration.
 */
export function objectCreatedPattern(bucketName: pulumi.Input<string>, prefix: string, suffixes: readonly string[]): Record<string, unknown> {
  return {
    source: ["aws.s3"],
    "detail-type": ["Object Created"],
    detail: { bucket: { name: [bucketName] }, object: { key: suffixes.map((suffix) => ({ wildcard: `${prefix}*${suffix}` })) } },
  };
}
