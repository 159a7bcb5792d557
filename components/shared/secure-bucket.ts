import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { BUCKET_DEFAULTS } from "./defaults";
import { PolicyStatement, denyInsecureTransport, policyDocument } from "./iam";
import { NAME_LIMITS, boundedName } from "./naming";
import { ArgumentErrors, isKnown } from "./validation";

/** One lifecycle rule, flat: what happens to objects under a prefix. */
export interface SecureBucketLifecycleRule {
  /** Stable rule id. */
  id: string;
  /** Key prefix the rule applies to; default: the whole bucket. */
  prefix?: string;
  /** Move current objects to STANDARD_IA after this many days (≥ 30). */
  transitionToInfrequentAccessDays?: number;
  /** Delete current objects after this many days. */
  expirationDays?: number;
}

export interface SecureBucketArgs {
  /** Versioning; default true. */
  versioning?: pulumi.Input<boolean>;
  /** Customer-managed KMS key for SSE-KMS. Default: SSE-S3 (AES256). */
  kmsKeyArn?: pulumi.Input<string>;
  /**
   * Lifecycle rules added to the default ones. The defaults always apply: incomplete multipart
   * uploads are aborted after 7 days and, with versioning, noncurrent versions expire after
   * `noncurrentVersionExpirationDays`.
   */
  lifecycleRules?: SecureBucketLifecycleRule[];
  /** Default 30 days. */
  noncurrentVersionExpirationDays?: pulumi.Input<number>;
  /** Extra bucket-policy statements (e.g. a service's write access); the TLS-only deny is always first. */
  extraPolicyStatements?: pulumi.Input<pulumi.Input<PolicyStatement>[]>;
  /** Allow `pulumi destroy` to delete a non-empty bucket. Default false. */
  forceDestroy?: pulumi.Input<boolean>;
  /** Send object-level events to EventBridge (for consumers that must not clobber notifications). Default false. */
  eventBridgeNotifications?: pulumi.Input<boolean>;
}

/**
 * An S3 bucket with public access blocked, ACLs disabled (bucket-owner-enforced), encryption,
 * TLS-only access, versioning and lifecycle rules.
 */
export class SecureBucket extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly publicAccessBlock: aws.s3.BucketPublicAccessBlock;
  public readonly bucketPolicy: aws.s3.BucketPolicy;
  /** Children that must exist before the bucket is used (e.g. by a notification). */
  public readonly ready: pulumi.Resource[];

  constructor(name: string, args: SecureBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("due:shared:SecureBucket", name, {}, opts);
    validateSecureBucketArgs(args);

    this.bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      { bucket: boundedName(`${name}-bucket`, NAME_LIMITS.s3Bucket, { lowercase: true }), forceDestroy: args.forceDestroy ?? false },
      { parent: this },
    );
    const bucketId = this.bucket.id;

    this.publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      { bucket: bucketId, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
      { parent: this },
    );
    const ownership = new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucketId, rule: { objectOwnership: "BucketOwnerEnforced" } },
      { parent: this },
    );
    const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucketId,
        rules: [
          args.kmsKeyArn === undefined
            ? { applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }
            : { applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn }, bucketKeyEnabled: true },
        ],
      },
      { parent: this },
    );
    const versioningEnabled = pulumi.output(args.versioning ?? BUCKET_DEFAULTS.versioning);
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucketId, versioningConfiguration: { status: versioningEnabled.apply((on) => (on ? "Enabled" : "Suspended")) } },
      { parent: this },
    );
    const lifecycle = new aws.s3.BucketLifecycleConfiguration(
      `${name}-lifecycle`,
      {
        bucket: bucketId,
        rules: pulumi
          .all([versioningEnabled, args.noncurrentVersionExpirationDays ?? BUCKET_DEFAULTS.noncurrentVersionExpirationDays])
          .apply(([versioned, noncurrentDays]) => lifecycleRules(args.lifecycleRules ?? [], versioned, noncurrentDays)),
      },
      // Lifecycle rules on noncurrent versions need versioning configured first.
      { parent: this, dependsOn: [versioning] },
    );
    this.bucketPolicy = new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucketId,
        policy: policyDocument(
          pulumi
            .output(args.extraPolicyStatements ?? [])
            .apply((extra) => [denyInsecureTransport("s3:*", [this.bucket.arn, pulumi.interpolate`${this.bucket.arn}/*`]), ...extra]),
        ),
      },
      // A bucket policy is rejected while public access is still being configured.
      { parent: this, dependsOn: [this.publicAccessBlock] },
    );
    const ready: pulumi.Resource[] = [this.publicAccessBlock, ownership, encryption, versioning, lifecycle, this.bucketPolicy];
    if (args.eventBridgeNotifications !== undefined) {
      ready.push(
        new aws.s3.BucketNotification(
          `${name}-eventbridge`,
          { bucket: bucketId, eventbridge: args.eventBridgeNotifications },
          { parent: this },
        ),
      );
    }
    this.ready = ready;

    this.registerOutputs({ bucket: this.bucket, bucketPolicy: this.bucketPolicy });
  }
}

/** The bucket's lifecycle rules: the always-on hygiene rule, plus the caller's rules. */
export function lifecycleRules(
  rules: SecureBucketLifecycleRule[],
  versioned: boolean,
  noncurrentVersionExpirationDays: number,
): aws.types.input.s3.BucketLifecycleConfigurationRule[] {
  return [
    {
      id: "hygiene",
      status: "Enabled",
      filter: { prefix: "" },
      abortIncompleteMultipartUpload: { daysAfterInitiation: BUCKET_DEFAULTS.abortIncompleteMultipartUploadDays },
      ...(versioned ? { noncurrentVersionExpiration: { noncurrentDays: noncurrentVersionExpirationDays } } : {}),
    },
    ...rules.map((rule) => ({
      id: rule.id,
      status: "Enabled",
      filter: { prefix: rule.prefix ?? "" },
      ...(rule.transitionToInfrequentAccessDays === undefined
        ? {}
        : { transitions: [{ days: rule.transitionToInfrequentAccessDays, storageClass: "STANDARD_IA" }] }),
      ...(rule.expirationDays === undefined ? {} : { expiration: { days: rule.expirationDays } }),
    })),
  ];
}

export function validateSecureBucketArgs(args: SecureBucketArgs): void {
  const errors = new ArgumentErrors("SecureBucket");
  const ids = new Set<string>(["hygiene"]);
  for (const [i, rule] of (args.lifecycleRules ?? []).entries()) {
    errors.check(ids.has(rule.id), `lifecycleRules[${i}].id "${rule.id}" is already used`);
    ids.add(rule.id);
    errors.check(
      rule.transitionToInfrequentAccessDays !== undefined && rule.transitionToInfrequentAccessDays < 30,
      `lifecycleRules[${i}].transitionToInfrequentAccessDays must be at least 30 (an S3 minimum for STANDARD_IA), got ${rule.transitionToInfrequentAccessDays}`,
    );
    errors.check(
      rule.expirationDays !== undefined && rule.expirationDays < 1,
      `lifecycleRules[${i}].expirationDays must be at least 1, got ${rule.expirationDays}`,
    );
    errors.check(
      rule.expirationDays !== undefined &&
        rule.transitionToInfrequentAccessDays !== undefined &&
        rule.expirationDays <= rule.transitionToInfrequentAccessDays,
      `lifecycleRules[${i}].expirationDays must be later than transitionToInfrequentAccessDays`,
    );
  }
  if (isKnown(args.noncurrentVersionExpirationDays)) {
    errors.check(args.noncurrentVersionExpirationDays < 1, `noncurrentVersionExpirationDays must be at least 1, got ${args.noncurrentVersionExpirationDays}`);
  }
  errors.throwIfAny();
}
