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
}

/** A function the bucket invokes on object events. */
export interface BucketLambdaConsumer {
  functionArn: pulumi.Input<string>;
  events: string[];
  filterPrefix?: pulumi.Input<string>;
  filterSuffix?: pulumi.Input<string>;
  /** The Lambda permission that lets S3 invoke the function: S3 validates it when the configuration is saved. */
  permission: pulumi.Resource;
}

/** Everything that consumes the bucket's object events, registered at once. */
export interface BucketNotificationConsumers {
  lambdaFunctions?: BucketLambdaConsumer[];
  /** Send every object event to EventBridge too (rules there filter by prefix). */
  eventBridge?: boolean;
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

  private readonly bucketComponentName: string;

  constructor(name: string, args: SecureBucketArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("due:shared:SecureBucket", name, {}, opts);
    this.bucketComponentName = name;
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
    this.ready = [this.publicAccessBlock, ownership, encryption, versioning, lifecycle, this.bucketPolicy];

    this.registerOutputs({ bucket: this.bucket, bucketPolicy: this.bucketPolicy });
  }

  private notification: aws.s3.BucketNotification | undefined;

  /**
   * The bucket's notification configuration, owned here. S3 keeps ONE per bucket, so two resources
   * that each write theirs overwrite each other: every consumer is registered in this one call, and
   * a second call is an error. `name` and `opts.parent` are the caller's, so the resource keeps the
   * URN the architecture gave it (replacing a notification would briefly clear it).
   */
  notify(name: string, consumers: BucketNotificationConsumers, opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource }): aws.s3.BucketNotification {
    if (this.notification !== undefined) {
      throw new Error(`${this.bucketComponentName}: the bucket's notifications are already configured; register every consumer in one notify() call`);
    }
    const lambdas = consumers.lambdaFunctions ?? [];
    this.notification = new aws.s3.BucketNotification(
      name,
      {
        bucket: this.bucket.id,
        ...(lambdas.length === 0
          ? {}
          : { lambdaFunctions: lambdas.map((l) => ({ lambdaFunctionArn: l.functionArn, events: l.events, filterPrefix: l.filterPrefix, filterSuffix: l.filterSuffix })) }),
        ...(consumers.eventBridge ? { eventbridge: true } : {}),
      },
      { ...opts, dependsOn: [...lambdas.map((l) => l.permission), ...this.ready, ...((opts.dependsOn as pulumi.Resource[] | undefined) ?? [])] },
    );
    return this.notification;
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
