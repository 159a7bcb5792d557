import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { DEFAULT_CAMPAIGN_ID_TAG, DEFAULT_TREATMENT_ID_TAG, TAG_NAME_PATTERN, TRANSFORM } from "../../functions/event-database/contract";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs } from "../kit/contract";
import {
  architectureDashboard,
  arnBuilder,
  boundedName,
  BundledFunction,
  dashboardFunction,
  firehoseToBucket,
  FUNCTION_DEFAULTS,
  functionPlatform,
  NAME_LIMITS,
  PlatformArgs,
  policyDocument,
  PolicyStatement,
  SecureBucket,
  serviceTrustPolicy,
  stableName,
} from "../shared";
import { dataFlow, external } from "../shared/flow";
import {
  ALL_EVENTS_COLUMNS,
  ATHENA_RESULTS_PREFIX,
  ERRORS_PREFIX,
  EVENTS_PREFIX,
  EXAMPLE_QUERIES,
  FIREHOSE_ERROR_PREFIX,
  FIREHOSE_PREFIX,
  PARTITION_KEY,
  PRESTO_VIEW_EXPANDED_TEXT,
  TABLE_NAME,
  VIEWS,
  encodePrestoView,
  hiveType,
  prestoToHive,
  projectionParameters,
} from "./views";

/** Every SES v2 event type: the event database keeps them all. */
export const EVENT_DATABASE_SES_EVENT_TYPES = ["SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK", "RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION"] as const;

const configurationSetName = passThrough(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, hyphens or underscores"));

/** #5's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const EVENT_DATABASE = defineContract(
  "EventDatabase",
  z
    .strictObject({
      databaseName: z
        .string()
        .regex(/^[a-z][a-z0-9_]{0,254}$/, "must start with a lower-case letter and hold only lower-case letters, digits and underscores")
        .default("due_eventdb")
        .describe("Glue database of the all_events table, its views and the example queries."),
      sesEvents: z.boolean().default(true).describe("Store SES events: an event destination (all 10 event types) on sesConfigurationSetName, or on #1's configuration set."),
      sesConfigurationSetName: configurationSetName
        .optional()
        .describe("The existing SES configuration set whose events are stored. Default: #1 SES Event Processing's, when it is enabled."),
      smsEvents: z
        .boolean()
        .default(true)
        .describe("Store End User Messaging SMS events (TEXT_ALL) of smsConfigurationSetName, or of #9's configuration set when #9 is enabled; with neither, none."),
      smsConfigurationSetName: configurationSetName
        .optional()
        .describe("The existing End User Messaging SMS configuration set whose events are stored. Default: #9 Sending SMS Triggered by S3 File Drop's, when it is enabled."),
      pinpointApplicationId: passThrough(z.string().regex(/^[a-f0-9]{32}$/, "must be a 32-character hexadecimal Pinpoint project id"))
        .optional()
        .describe("Legacy: stream this Pinpoint project's events here. A project has ONE event stream: this replaces it. Pinpoint engagement features ended 2026-10-30."),
      campaignIdTag: z.string().regex(TAG_NAME_PATTERN, "must be an SES message tag name").default(DEFAULT_CAMPAIGN_ID_TAG).describe("SES message tag (or SMS context key) read as attributes.campaign_id."),
      treatmentIdTag: z.string().regex(TAG_NAME_PATTERN, "must be an SES message tag name").default(DEFAULT_TREATMENT_ID_TAG).describe("SES message tag (or SMS context key) read as attributes.treatment_id."),
      bufferIntervalSeconds: z.int().min(60).max(900).default(900).describe("Firehose buffering interval, seconds: one Parquet object per interval unless 128 MB come first; longer means larger objects and fewer bytes per query (bench:eventdb)."),
      bufferSizeMb: z.int().min(64).max(128).default(128).describe("Firehose buffering size, MB (Parquet conversion needs at least 64)."),
      eventRetentionDays: z.int().min(1).max(3650).default(400).describe("Days event objects are kept (STANDARD_IA after 30 days when kept over 60); the partition projection covers the same days."),
      errorRetentionDays: z.int().min(1).max(3650).default(30).describe("Days records Firehose could not transform, convert or deliver are kept under errors/."),
      queryResultRetentionDays: z.int().min(1).max(3650).default(7).describe("Days Athena query results are kept."),
      bytesScannedCutoffMb: z.int().min(10).max(1_048_576).default(10_240).describe("Athena cancels a query of the workgroup that would scan more than this, MB."),
      forceDestroyBucket: z.boolean().default(false).describe("Allow `pulumi destroy` to delete the non-empty data bucket."),
      timeoutSeconds: z.int().min(10).max(300).default(60).describe("Transformation timeout, seconds."),
      memorySizeMb: z.int().min(128).max(10240).default(512).describe("Transformation memory, MB."),
    })
    .superRefine((s, ctx) => {
      if (s.sesConfigurationSetName !== undefined && !s.sesEvents) {
        ctx.addIssue({ code: "custom", path: ["sesConfigurationSetName"], message: "applies only with sesEvents: true" });
      }
      if (s.smsConfigurationSetName !== undefined && !s.smsEvents) {
        ctx.addIssue({ code: "custom", path: ["smsConfigurationSetName"], message: "applies only with smsEvents: true" });
      }
    }),
);

export type EventDatabaseArgs = ContractArgs<typeof EVENT_DATABASE.settings> & PlatformArgs;

/**
 * Architecture #5, Pinpoint S3 Event Database: SES, End User Messaging SMS and (legacy) Pinpoint
 * events → Firehose (a transformation into the seed's all_events shape, then Parquet) → S3, with
 * a Glue table using partition projection, the seed's views as Glue views, and an Athena
 * workgroup holding the seed's example queries.
 */
export class EventDatabase extends pulumi.ComponentResource {
  public readonly bucket: aws.s3.Bucket;
  public readonly deliveryStream: aws.kinesis.FirehoseDeliveryStream;
  public readonly function: aws.lambda.Function;
  public readonly logGroup: aws.cloudwatch.LogGroup;
  public readonly database: aws.glue.CatalogDatabase;
  public readonly table: aws.glue.CatalogTable;
  public readonly views: aws.glue.CatalogTable[];
  public readonly workgroup: aws.athena.Workgroup;
  public readonly namedQueries: aws.athena.NamedQuery[];
  /** The SES event destination, when SES events are stored. */
  public readonly sesEventDestination: aws.sesv2.ConfigurationSetEventDestination | undefined;
  public readonly smsEventDestination: aws.pinpoint.Smsvoicev2EventDestination | undefined;
  public readonly eventStream: aws.pinpoint.EventStream | undefined;
  /** The name of the event destinations this component adds (SES and SMS). */
  public readonly eventDestinationName: string;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: EventDatabaseArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("due:analytics:EventDatabase", name, {}, opts);
    const settings = resolveSettings(EVENT_DATABASE, args);
    if (settings.sesEvents && settings.sesConfigurationSetName === undefined) {
      throw new Error("EventDatabase: sesEvents needs sesConfigurationSetName (the stack passes #1's configuration set when #1 is enabled)");
    }
    const arn = arnBuilder({ parent: this });

    const retention = settings.eventRetentionDays;
    const data = new SecureBucket(
      `${name}-data`,
      {
        forceDestroy: settings.forceDestroyBucket,
        lifecycleRules: [
          { id: "events", prefix: EVENTS_PREFIX, expirationDays: retention, ...(retention > 60 ? { transitionToInfrequentAccessDays: 30 } : {}) },
          { id: "errors", prefix: ERRORS_PREFIX, expirationDays: settings.errorRetentionDays },
          { id: "athena-results", prefix: ATHENA_RESULTS_PREFIX, expirationDays: settings.queryResultRetentionDays },
        ],
      },
      { parent: this },
    );
    this.bucket = data.bucket;

    this.database = new aws.glue.CatalogDatabase(
      `${name}-database`,
      { name: settings.databaseName, description: "SES, End User Messaging SMS and Pinpoint engagement events (Digital User Engagement #5)" },
      { parent: this },
    );
    const databaseName = this.database.name;
    this.table = new aws.glue.CatalogTable(
      `${name}-all-events`,
      {
        name: TABLE_NAME,
        databaseName,
        tableType: "EXTERNAL_TABLE",
        description: "Every engagement event in the Pinpoint event-stream shape; partitions projected from Firehose's UTC hour prefix",
        parameters: this.bucket.bucket.apply((bucket) => ({ EXTERNAL: "TRUE", ...projectionParameters(bucket, retention) })),
        partitionKeys: [{ name: PARTITION_KEY, type: "string", comment: "Firehose arrival hour (UTC), yyyy/MM/dd/HH" }],
        storageDescriptor: {
          location: pulumi.interpolate`s3://${this.bucket.bucket}/${EVENTS_PREFIX}`,
          inputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
          outputFormat: "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
          serDeInfo: { serializationLibrary: "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe", parameters: { "serialization.format": "1" } },
          columns: ALL_EVENTS_COLUMNS.map(([columnName, type]) => ({ name: columnName, type: hiveType(type) })),
        },
      },
      { parent: this },
    );
    const tableArn = arn("glue", pulumi.interpolate`table/${databaseName}/${TABLE_NAME}`);
    const databaseArn = arn("glue", pulumi.interpolate`database/${databaseName}`);

    const transform = new BundledFunction(
      `${name}-transform`,
      {
        handler: TRANSFORM,
        description: "Normalizes SES, End User Messaging SMS and Pinpoint events into the all_events shape",
        timeoutSeconds: settings.timeoutSeconds,
        memorySizeMb: settings.memorySizeMb,
        ...functionPlatform(args),
        alarmActions: args.alarmActions,
        environment: environmentFor(TRANSFORM, { CAMPAIGN_ID_TAG: settings.campaignIdTag, TREATMENT_ID_TAG: settings.treatmentIdTag }),
        // It calls no AWS API: the function block's own log statements are all it needs.
        policyStatements: [],
      },
      { parent: this },
    );
    this.function = transform.function;
    this.logGroup = transform.logGroup;

    const processingConfiguration = transformProcessing(this.function.arn);
    const { deliveryStream } = firehoseToBucket(
      name,
      {
        bucketArn: this.bucket.arn,
        prefix: FIREHOSE_PREFIX,
        errorOutputPrefix: FIREHOSE_ERROR_PREFIX,
        bufferingIntervalSeconds: settings.bufferIntervalSeconds,
        bufferingSizeMb: settings.bufferSizeMb,
        // Parquet compresses itself (SNAPPY); Firehose requires UNCOMPRESSED with format conversion.
        compressionFormat: "UNCOMPRESSED",
        logRetentionInDays: args.logRetentionInDays ?? FUNCTION_DEFAULTS.logRetentionInDays,
        dataFormatConversion: {
          enabled: true,
          inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: "SNAPPY" } } },
          // roleArn: the block's delivery role, set by withProcessing below (the block creates the role).
          schemaConfiguration: { databaseName, tableName: TABLE_NAME, roleArn: "", versionId: "LATEST" },
        },
        extraStatements: eventDatabaseFirehoseStatements({ catalogArn: arn("glue", "catalog"), databaseArn, tableArn, transformArn: this.function.arn }),
        dependsOn: [...data.ready, this.table],
      },
      {
        parent: this,
        // The shared block has no processor setting yet: the transformation is added to its delivery stream here.
        transformations: [(a) => (a.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream" ? withProcessing(a, processingConfiguration) : undefined)],
      },
    );
    this.deliveryStream = deliveryStream;

    this.views = VIEWS.map(
      (view) =>
        new aws.glue.CatalogTable(
          `${name}-view-${view.name}`,
          {
            name: view.name,
            databaseName,
            tableType: "VIRTUAL_VIEW",
            description: view.description,
            parameters: { presto_view: "true", comment: "Presto View" },
            viewOriginalText: databaseName.apply((db) => encodePrestoView(view, db)),
            viewExpandedText: PRESTO_VIEW_EXPANDED_TEXT,
            storageDescriptor: { columns: view.columns.map((c) => ({ name: c.name, type: prestoToHive(c.type) })) },
          },
          { parent: this, dependsOn: [this.table] },
        ),
    );

    this.workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: boundedName(`${name}-workgroup`, 128),
        description: "Queries of the engagement event database",
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          bytesScannedCutoffPerQuery: settings.bytesScannedCutoffMb * 1024 * 1024,
          engineVersion: { selectedEngineVersion: "Athena engine version 3" },
          resultConfiguration: {
            outputLocation: pulumi.interpolate`s3://${this.bucket.bucket}/${ATHENA_RESULTS_PREFIX}`,
            encryptionConfiguration: { encryptionOption: "SSE_S3" },
            aclConfiguration: { s3AclOption: "BUCKET_OWNER_FULL_CONTROL" },
          },
        },
        forceDestroy: true,
      },
      { parent: this },
    );
    this.namedQueries = EXAMPLE_QUERIES.map(
      (q) =>
        new aws.athena.NamedQuery(
          `${name}-query-${q.name}`,
          { name: q.name, description: q.description, database: databaseName, workgroup: this.workgroup.name, query: q.sql },
          { parent: this, dependsOn: this.views },
        ),
    );

    // Sources. SES and SMS assume a role to put records; each role is trusted by that service only
    // for this account and the one configuration set (or project) it serves.
    this.eventDestinationName = stableName(`${name}-events`, NAME_LIMITS.sesEventDestination);
    const putRecords = (role: string, service: string, sourceArn: pulumi.Input<string>) => {
      const sourceRole = new aws.iam.Role(
        `${name}-${role}-role`,
        { name: boundedName(`${name}-${role}-role`, NAME_LIMITS.iamRole), assumeRolePolicy: serviceTrustPolicy(service, arn.accountId, sourceArn) },
        { parent: this },
      );
      const policy = new aws.iam.RolePolicy(
        `${name}-${role}-policy`,
        {
          name: boundedName(`${name}-${role}-policy`, NAME_LIMITS.iamRolePolicy),
          role: sourceRole.id,
          policy: policyDocument(sourcePutStatements(deliveryStream.arn)),
        },
        { parent: this },
      );
      return { role: sourceRole, policy };
    };

    if (settings.sesEvents) {
      const sesSetName = settings.sesConfigurationSetName!;
      const { role, policy } = putRecords("ses", "ses.amazonaws.com", arn("ses", pulumi.interpolate`configuration-set/${sesSetName}`));
      this.sesEventDestination = new aws.sesv2.ConfigurationSetEventDestination(
        `${name}-ses-destination`,
        {
          configurationSetName: sesSetName,
          eventDestinationName: this.eventDestinationName,
          eventDestination: {
            enabled: true,
            matchingEventTypes: [...EVENT_DATABASE_SES_EVENT_TYPES],
            kinesisFirehoseDestination: { deliveryStreamArn: deliveryStream.arn, iamRoleArn: role.arn },
          },
        },
        // SES checks it can put records when the destination is created.
        { parent: this, dependsOn: [policy] },
      );
      dataFlow(external("SES configuration set"), deliveryStream, "email events (all types)");
    }
    if (settings.smsEvents && settings.smsConfigurationSetName !== undefined) {
      const smsSetName = settings.smsConfigurationSetName;
      const { role, policy } = putRecords("sms", "sms-voice.amazonaws.com", arn("sms-voice", pulumi.interpolate`configuration-set/${smsSetName}`));
      this.smsEventDestination = new aws.pinpoint.Smsvoicev2EventDestination(
        `${name}-sms-destination`,
        {
          configurationSetName: smsSetName,
          eventDestinationName: this.eventDestinationName,
          matchingEventTypes: ["TEXT_ALL"],
          kinesisFirehoseDestination: { deliveryStreamArn: deliveryStream.arn, iamRoleArn: role.arn },
        },
        { parent: this, dependsOn: [policy] },
      );
      dataFlow(external("End User Messaging SMS configuration set"), deliveryStream, "SMS events");
    }
    if (settings.pinpointApplicationId !== undefined) {
      const applicationId = settings.pinpointApplicationId;
      const { role, policy } = putRecords("pinpoint", "pinpoint.amazonaws.com", arn("mobiletargeting", pulumi.interpolate`apps/${applicationId}`));
      // A project has one event stream: this replaces the project's existing stream, if any.
      this.eventStream = new aws.pinpoint.EventStream(
        `${name}-event-stream`,
        { applicationId, destinationStreamArn: deliveryStream.arn, roleArn: role.arn },
        { parent: this, dependsOn: [policy] },
      );
      dataFlow(external("Amazon Pinpoint project (legacy)"), deliveryStream, "engagement events (event stream)");
    }
    dataFlow(deliveryStream, this.function, "records to transform");
    dataFlow(deliveryStream, this.bucket, "Parquet objects");
    dataFlow(this.bucket, this.table, "hourly partitions (projected)");
    dataFlow(this.table, this.workgroup, "views and named queries");

    this.alarms = transform.alarms;
    this.dashboard = architectureDashboard(name, args, { functions: [dashboardFunction(transform, TRANSFORM, { Transformed: ["Source"] })] }, this);
    this.registerOutputs({
      bucket: this.bucket,
      deliveryStream: this.deliveryStream,
      function: this.function,
      database: this.database,
      table: this.table,
      workgroup: this.workgroup,
      sesEventDestination: this.sesEventDestination,
      smsEventDestination: this.smsEventDestination,
      eventStream: this.eventStream,
      alarms: this.alarms,
      dashboard: this.dashboard,
    });
  }
}

/**
 * Firehose's Lambda processor. Its buffer is 3 MB by default and at most 3 MB; the function's
 * response must stay under Lambda's 6 MB. The rows are larger than the events (an SMS event's row
 * and its base64 response are up to ~2.5× its bytes: bench:eventdb), so a 3 MB batch of SMS events
 * would overflow the response and fail whole: the buffer is 2 MB. Firehose retries a failed
 * invocation 3 times, then writes the batch under the error prefix.
 * https://docs.aws.amazon.com/firehose/latest/dev/data-transformation.html
 */
/** Megabytes of records per transformation invocation (see transformProcessing). */
export const TRANSFORM_BUFFER_MB = 2;

export function transformProcessing(functionArn: pulumi.Input<string>): aws.types.input.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationProcessingConfiguration {
  return {
    enabled: true,
    processors: [
      {
        type: "Lambda",
        parameters: [
          { parameterName: "LambdaArn", parameterValue: pulumi.interpolate`${functionArn}:$LATEST` },
          { parameterName: "BufferSizeInMBs", parameterValue: String(TRANSFORM_BUFFER_MB) },
          { parameterName: "BufferIntervalInSeconds", parameterValue: "60" },
        ],
      },
    ],
  };
}

function withProcessing(a: pulumi.ResourceTransformationArgs, processing: ReturnType<typeof transformProcessing>): pulumi.ResourceTransformationResult {
  const props = a.props as aws.kinesis.FirehoseDeliveryStreamArgs;
  const s3 = props.extendedS3Configuration as aws.types.input.kinesis.FirehoseDeliveryStreamExtendedS3Configuration;
  const conversion = s3.dataFormatConversionConfiguration as aws.types.input.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationDataFormatConversionConfiguration;
  return {
    props: {
      ...props,
      extendedS3Configuration: {
        ...s3,
        processingConfiguration: processing,
        // The conversion reads the Glue table with the delivery stream's own role.
        dataFormatConversionConfiguration: { ...conversion, schemaConfiguration: { ...(conversion.schemaConfiguration as object), roleArn: s3.roleArn } },
      },
    },
    opts: a.opts,
  };
}

/** What the delivery role does besides delivering: read the table schema and invoke the transformation. */
export function eventDatabaseFirehoseStatements(resources: {
  catalogArn: pulumi.Input<string>;
  databaseArn: pulumi.Input<string>;
  tableArn: pulumi.Input<string>;
  transformArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    {
      Sid: "ReadTableSchema",
      Effect: "Allow",
      Action: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
      Resource: [resources.catalogArn, resources.databaseArn, resources.tableArn],
    },
    {
      Sid: "InvokeTransformation",
      Effect: "Allow",
      Action: ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"],
      Resource: [resources.transformArn, pulumi.interpolate`${resources.transformArn}:*`],
    },
  ];
}

/** What SES, End User Messaging and Pinpoint do with the stream. */
export function sourcePutStatements(deliveryStreamArn: pulumi.Input<string>): PolicyStatement[] {
  return [{ Sid: "PutEvents", Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"], Resource: deliveryStreamArn }];
}
