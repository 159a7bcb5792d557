import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { arnBuilder } from "./arn";
import { PolicyStatement, policyDocument } from "./iam";
import { NAME_LIMITS, boundedName } from "./naming";

export interface FirehoseToBucketArgs {
  bucketArn: pulumi.Input<string>;
  /** Key prefix of delivered objects; Firehose expressions allowed (e.g. "events/!{timestamp:yyyy/MM/dd/HH}/"). */
  prefix: pulumi.Input<string>;
  /** Key prefix of records Firehose could not deliver or convert, kept apart from the data. */
  errorOutputPrefix: pulumi.Input<string>;
  bufferingIntervalSeconds: pulumi.Input<number>;
  bufferingSizeMb: pulumi.Input<number>;
  /** Default "GZIP". Must be "UNCOMPRESSED" when `dataFormatConversion` writes Parquet/ORC (they compress themselves). */
  compressionFormat?: pulumi.Input<string>;
  /** Retention of the delivery-error log group, days. */
  logRetentionInDays: pulumi.Input<number>;
  /**
   * Optional format conversion (e.g. JSON → Parquet through a Glue table): passed to Firehose as is.
   * The statements its Glue table needs are the caller's to add through `extraStatements`.
   */
  dataFormatConversion?: aws.types.input.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfiguration;
  extraStatements?: pulumi.Input<PolicyStatement>[];
  /** What must exist before delivery starts (e.g. the bucket's policy and encryption). */
  dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/**
 * A Direct PUT Firehose delivery stream into a bucket: encrypted, its own error log (group and
 * stream), a role Firehose may assume only for this account (`sts:ExternalId`), scoped to the
 * bucket and that log stream. Children are `${name}-firehose-logs`, `-firehose-log-stream`,
 * `-firehose-role`, `-firehose-policy` and `-delivery-stream`, under `opts.parent`.
 */
export function firehoseToBucket(
  name: string,
  args: FirehoseToBucketArgs,
  opts: pulumi.CustomResourceOptions & { parent: pulumi.Resource },
): { deliveryStream: aws.kinesis.FirehoseDeliveryStream; role: aws.iam.Role; logGroup: aws.cloudwatch.LogGroup } {
  const { accountId } = arnBuilder({ parent: opts.parent });
  const logGroup = new aws.cloudwatch.LogGroup(
    `${name}-firehose-logs`,
    { namePrefix: `/aws/kinesisfirehose/${name}-`, retentionInDays: args.logRetentionInDays },
    { parent: opts.parent },
  );
  const logStream = new aws.cloudwatch.LogStream(`${name}-firehose-log-stream`, { logGroupName: logGroup.name, name: "S3Delivery" }, { parent: opts.parent });
  const role = new aws.iam.Role(
    `${name}-firehose-role`,
    {
      name: boundedName(`${name}-firehose-role`, NAME_LIMITS.iamRole),
      // Firehose documents sts:ExternalId = the account id as its confused-deputy condition.
      // https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html
      assumeRolePolicy: policyDocument([
        {
          Effect: "Allow",
          Principal: { Service: "firehose.amazonaws.com" },
          Action: "sts:AssumeRole",
          Condition: { StringEquals: { "sts:ExternalId": accountId } },
        },
      ]),
    },
    { parent: opts.parent },
  );
  const policy = new aws.iam.RolePolicy(
    `${name}-firehose-policy`,
    {
      name: boundedName(`${name}-firehose-policy`, NAME_LIMITS.iamRolePolicy),
      role: role.id,
      policy: policyDocument([
        ...firehoseDeliveryStatements({ bucketArn: args.bucketArn, logStreamArn: pulumi.interpolate`${logGroup.arn}:log-stream:${logStream.name}` }),
        ...(args.extraStatements ?? []),
      ]),
    },
    { parent: opts.parent },
  );
  const deliveryStream = new aws.kinesis.FirehoseDeliveryStream(
    `${name}-delivery-stream`,
    {
      name: boundedName(`${name}-delivery-stream`, NAME_LIMITS.firehoseStream),
      destination: "extended_s3",
      serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
      extendedS3Configuration: {
        roleArn: role.arn,
        bucketArn: args.bucketArn,
        prefix: args.prefix,
        errorOutputPrefix: args.errorOutputPrefix,
        bufferingInterval: args.bufferingIntervalSeconds,
        bufferingSize: args.bufferingSizeMb,
        compressionFormat: args.compressionFormat ?? "GZIP",
        cloudwatchLoggingOptions: { enabled: true, logGroupName: logGroup.name, logStreamName: logStream.name },
        ...(args.dataFormatConversion === undefined ? {} : { dataFormatConversionConfiguration: args.dataFormatConversion }),
      },
    },
    { ...opts, dependsOn: [policy, ...(args.dependsOn ?? [])] },
  );
  return { deliveryStream, role, logGroup };
}

/** What Firehose does with the bucket (multipart uploads, listing for retries) and its error log. */
export function firehoseDeliveryStatements(resources: { bucketArn: pulumi.Input<string>; logStreamArn: pulumi.Input<string> }): PolicyStatement[] {
  return [
    {
      Sid: "DeliverToBucket",
      Effect: "Allow",
      Action: ["s3:AbortMultipartUpload", "s3:GetBucketLocation", "s3:GetObject", "s3:ListBucket", "s3:ListBucketMultipartUploads", "s3:PutObject"],
      Resource: [resources.bucketArn, pulumi.interpolate`${resources.bucketArn}/*`],
    },
    { Sid: "LogDeliveryErrors", Effect: "Allow", Action: "logs:PutLogEvents", Resource: resources.logStreamArn },
  ];
}
