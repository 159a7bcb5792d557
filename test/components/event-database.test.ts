import { expect } from "chai";
import { EventDatabase, EventDatabaseArgs } from "../../components/analytics/event-database";
import { decodePrestoView, VIEWS } from "../../components/analytics/views";
import { createStack } from "../../stacks/stack";
import { parseStackConfig } from "../../stacks/config";
import { runUnderMocks } from "../../stacks/plan/mock-runtime";
import { build, stackConfigFailure, thrownMessage } from "../harness/pulumi";

const ACCOUNT = "123456789012";
const STREAM_ARN = `arn:aws:kinesis:us-east-1:${ACCOUNT}:firehoseDeliveryStream/edb-delivery-stream-0000000`;
const FIREHOSE_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/edb-firehose-role-0000000`;
const TRANSFORM_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:edb-transform-function-0000000`;
const ALL = { sesConfigurationSetName: "marketing", smsConfigurationSetName: "sms-set", pinpointApplicationId: "0123456789abcdef0123456789abcdef" };

const make = (args: EventDatabaseArgs = { sesConfigurationSetName: "marketing" }) => () => new EventDatabase("edb", args);

describe("EventDatabase", () => {
  it("creates exactly the bucket, catalog, transformation, delivery stream, 19 views, workgroup, 2 named queries and the SES source by default", async () => {
    const built = await build(make());
    expect(built.childrenOf("edb")).to.deep.equal([
      "due:shared:SecureBucket::edb-data",
      "aws:glue/catalogDatabase:CatalogDatabase::edb-database",
      "aws:glue/catalogTable:CatalogTable::edb-all-events",
      "due:shared:BundledFunction::edb-transform",
      "aws:cloudwatch/logGroup:LogGroup::edb-firehose-logs",
      "aws:cloudwatch/logStream:LogStream::edb-firehose-log-stream",
      "aws:iam/role:Role::edb-firehose-role",
      "aws:iam/rolePolicy:RolePolicy::edb-firehose-policy",
      "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream::edb-delivery-stream",
      ...VIEWS.map((v) => `aws:glue/catalogTable:CatalogTable::edb-view-${v.name}`),
      "aws:athena/workgroup:Workgroup::edb-workgroup",
      "aws:athena/namedQuery:NamedQuery::edb-query-campaign-engagement",
      "aws:athena/namedQuery:NamedQuery::edb-query-recipient-opens",
      "aws:iam/role:Role::edb-ses-role",
      "aws:iam/rolePolicy:RolePolicy::edb-ses-policy",
      "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination::edb-ses-destination",
      "aws:cloudwatch/dashboard:Dashboard::edb-dashboard",
    ]);
  });

  it("converts to Parquet from the declared Glue table, transforms first, and partitions by Firehose's UTC hour", async () => {
    const built = await build(make());
    const s3 = built.inputs("edb-delivery-stream").extendedS3Configuration as Record<string, unknown>;
    expect(built.inputs("edb-delivery-stream").serverSideEncryption).to.deep.equal({ enabled: true, keyType: "AWS_OWNED_CMK" });
    expect(s3).to.deep.include({
      prefix: "events/!{timestamp:yyyy/MM/dd/HH}/",
      errorOutputPrefix: "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/",
      bufferingInterval: 900,
      bufferingSize: 128,
      compressionFormat: "UNCOMPRESSED",
      roleArn: FIREHOSE_ROLE_ARN,
    });
    expect(s3.cloudwatchLoggingOptions).to.deep.equal({ enabled: true, logGroupName: "/aws/kinesisfirehose/edb-0000000", logStreamName: "S3Delivery" });
    expect(s3.dataFormatConversionConfiguration).to.deep.equal({
      enabled: true,
      inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
      outputFormatConfiguration: { serializer: { parquetSerDe: { compression: "SNAPPY" } } },
      schemaConfiguration: { databaseName: "due_eventdb", tableName: "all_events", roleArn: FIREHOSE_ROLE_ARN, versionId: "LATEST" },
    });
    expect(s3.processingConfiguration).to.deep.equal({
      enabled: true,
      processors: [
        {
          type: "Lambda",
          parameters: [
            { parameterName: "LambdaArn", parameterValue: `${TRANSFORM_ARN}:$LATEST` },
            { parameterName: "BufferSizeInMBs", parameterValue: "2" },
            { parameterName: "BufferIntervalInSeconds", parameterValue: "60" },
          ],
        },
      ],
    });
  });

  it("lets the delivery role read only the table's schema and invoke only the transformation", async () => {
    const built = await build(make());
    expect(built.statements("edb-firehose-policy").slice(2)).to.deep.equal([
      {
        Sid: "ReadTableSchema",
        Effect: "Allow",
        Action: ["glue:GetTable", "glue:GetTableVersion", "glue:GetTableVersions"],
        Resource: [`arn:aws:glue:us-east-1:${ACCOUNT}:catalog`, `arn:aws:glue:us-east-1:${ACCOUNT}:database/due_eventdb`, `arn:aws:glue:us-east-1:${ACCOUNT}:table/due_eventdb/all_events`],
      },
      { Sid: "InvokeTransformation", Effect: "Allow", Action: ["lambda:InvokeFunction", "lambda:GetFunctionConfiguration"], Resource: [TRANSFORM_ARN, `${TRANSFORM_ARN}:*`] },
    ]);
    expect(built.callerStatements("edb-transform")).to.deep.equal([]);
  });

  it("declares all_events with partition projection on the hour prefix, over the retention period", async () => {
    const built = await build(make({ sesConfigurationSetName: "marketing", eventRetentionDays: 90 }));
    const table = built.inputs("edb-all-events");
    expect(table).to.deep.include({ name: "all_events", tableType: "EXTERNAL_TABLE", partitionKeys: [{ name: "datehour", type: "string", comment: "Firehose arrival hour (UTC), yyyy/MM/dd/HH" }] });
    expect(table.parameters).to.deep.equal({
      EXTERNAL: "TRUE",
      classification: "parquet",
      "parquet.compression": "SNAPPY",
      "projection.enabled": "true",
      "projection.datehour.type": "date",
      "projection.datehour.format": "yyyy/MM/dd/HH",
      "projection.datehour.range": "NOW-90DAYS,NOW",
      "projection.datehour.interval": "1",
      "projection.datehour.interval.unit": "HOURS",
      "storage.location.template": "s3://edb-data-bucket-0000000/events/${datehour}/",
    });
    const sd = table.storageDescriptor as { location: string; columns: { name: string }[] };
    expect(sd.location).to.equal("s3://edb-data-bucket-0000000/events/");
    expect(sd.columns.map((c) => c.name)).to.deep.equal(["event_type", "event_timestamp", "arrival_timestamp", "event_version", "application", "client", "device", "session", "attributes", "client_context", "awsaccountid", "facets", "metrics"]);
  });

  it("declares every view as a Glue VIRTUAL_VIEW carrying the encoded Presto view", async () => {
    const built = await build(make());
    for (const view of VIEWS) {
      const inputs = built.inputs(`edb-view-${view.name}`);
      expect(inputs).to.deep.include({ name: view.name, tableType: "VIRTUAL_VIEW", viewExpandedText: "/* Presto View */", parameters: { presto_view: "true", comment: "Presto View" } });
      expect(decodePrestoView(inputs.viewOriginalText as string)).to.deep.equal({ originalSql: view.sql, catalog: "awsdatacatalog", schema: "due_eventdb", columns: view.columns });
    }
  });

  it("enforces the workgroup's encrypted result location and its per-query scan limit", async () => {
    const built = await build(make({ sesConfigurationSetName: "marketing", bytesScannedCutoffMb: 500 }));
    expect(built.inputs("edb-workgroup").configuration).to.deep.equal({
      enforceWorkgroupConfiguration: true,
      publishCloudwatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: 500 * 1024 * 1024,
      engineVersion: { selectedEngineVersion: "Athena engine version 3" },
      resultConfiguration: {
        outputLocation: "s3://edb-data-bucket-0000000/athena-results/",
        encryptionConfiguration: { encryptionOption: "SSE_S3" },
        aclConfiguration: { s3AclOption: "BUCKET_OWNER_FULL_CONTROL" },
      },
    });
    expect(built.inputs("edb-query-campaign-engagement")).to.deep.include({ database: "due_eventdb", workgroup: "edb-workgroup-0000000" });
  });

  it("keeps events, errors and query results for their own periods", async () => {
    const built = await build(make({ sesConfigurationSetName: "marketing", eventRetentionDays: 400, errorRetentionDays: 14, queryResultRetentionDays: 3 }));
    const rules = (built.inputs("edb-data-lifecycle").rules as { id: string; filter: unknown; expiration?: unknown; transitions?: unknown }[]).filter((r) => r.id !== "hygiene");
    expect(rules.map((r) => [r.id, r.filter, r.expiration, r.transitions])).to.deep.equal([
      ["events", { prefix: "events/" }, { days: 400 }, [{ days: 30, storageClass: "STANDARD_IA" }]],
      ["errors", { prefix: "errors/" }, { days: 14 }, undefined],
      ["athena-results", { prefix: "athena-results/" }, { days: 3 }, undefined],
    ]);
  });

  it("gives each source its destination and a role only that service may assume, for this account and that configuration set or project", async () => {
    const built = await build(make(ALL));
    expect(built.inputs("edb-ses-destination")).to.deep.equal({
      configurationSetName: "marketing",
      eventDestinationName: "digital-user-engagement-test-edb-events",
      eventDestination: {
        enabled: true,
        matchingEventTypes: ["SEND", "REJECT", "BOUNCE", "COMPLAINT", "DELIVERY", "OPEN", "CLICK", "RENDERING_FAILURE", "DELIVERY_DELAY", "SUBSCRIPTION"],
        kinesisFirehoseDestination: { deliveryStreamArn: STREAM_ARN, iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/edb-ses-role-0000000` },
      },
    });
    expect(built.inputs("edb-sms-destination")).to.deep.equal({
      configurationSetName: "sms-set",
      eventDestinationName: "digital-user-engagement-test-edb-events",
      matchingEventTypes: ["TEXT_ALL"],
      kinesisFirehoseDestination: { deliveryStreamArn: STREAM_ARN, iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/edb-sms-role-0000000` },
    });
    expect(built.inputs("edb-event-stream")).to.deep.equal({ applicationId: ALL.pinpointApplicationId, destinationStreamArn: STREAM_ARN, roleArn: `arn:aws:iam::${ACCOUNT}:role/edb-pinpoint-role-0000000` });
    const trust = (role: string) => built.statements(`edb-${role}-role`, "assumeRolePolicy");
    const expected = (service: string, sourceArn: string) => [
      { Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole", Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT }, ArnLike: { "aws:SourceArn": sourceArn } } },
    ];
    expect(trust("ses")).to.deep.equal(expected("ses.amazonaws.com", `arn:aws:ses:us-east-1:${ACCOUNT}:configuration-set/marketing`));
    expect(trust("sms")).to.deep.equal(expected("sms-voice.amazonaws.com", `arn:aws:sms-voice:us-east-1:${ACCOUNT}:configuration-set/sms-set`));
    expect(trust("pinpoint")).to.deep.equal(expected("pinpoint.amazonaws.com", `arn:aws:mobiletargeting:us-east-1:${ACCOUNT}:apps/${ALL.pinpointApplicationId}`));
    for (const role of ["ses", "sms", "pinpoint"]) {
      expect(built.statements(`edb-${role}-policy`)).to.deep.equal([
        { Sid: "PutEvents", Effect: "Allow", Action: ["firehose:PutRecord", "firehose:PutRecordBatch", "firehose:DescribeDeliveryStream"], Resource: STREAM_ARN },
      ]);
    }
    expect(built.one("edb-ses-destination").dependencies).to.include("aws:iam/rolePolicy:RolePolicy::edb-ses-policy");
  });

  it("builds no SES source with sesEvents false, and no SMS source with smsEvents false", async () => {
    const built = await build(make({ sesEvents: false, smsConfigurationSetName: "sms-set" }));
    expect(built.has("edb-ses-destination")).to.equal(false);
    expect(built.has("edb-sms-destination")).to.equal(true);
    const none = await build(make({ sesConfigurationSetName: "marketing", smsEvents: false }));
    expect(none.has("edb-sms-destination")).to.equal(false);
  });

  it("rejects bad settings with exact messages", () => {
    expect(thrownMessage(make({ sesEvents: false, sesConfigurationSetName: "x" }))).to.contain("sesConfigurationSetName: applies only with sesEvents: true");
    expect(thrownMessage(make({ sesConfigurationSetName: "x", smsEvents: false, smsConfigurationSetName: "y" }))).to.contain("smsConfigurationSetName: applies only with smsEvents: true");
    expect(thrownMessage(make({}))).to.equal("EventDatabase: sesEvents needs sesConfigurationSetName (the stack passes #1's configuration set when #1 is enabled)");
    expect(thrownMessage(make({ sesConfigurationSetName: "m", bufferSizeMb: 32, databaseName: "Bad-Name" }))).to.match(/bufferSizeMb[\s\S]*databaseName|databaseName[\s\S]*bufferSizeMb/);
  });

  it("in the stack, stores the events of #1's configuration set when no configuration set is named", async () => {
    const run = await runUnderMocks(() => createStack(parseStackConfig({ sesEventProcessing: { enabled: true }, eventDatabase: { enabled: true } })), { stack: "edb-compose" });
    const destination = run.resources.find((r) => r.name === "event-database-ses-destination");
    const created = run.resources.find((r) => r.name === "ses-event-processing-configuration-set");
    expect(destination?.inputs.configurationSetName).to.equal(created?.inputs.configurationSetName);
    expect(destination?.inputs.configurationSetName).to.be.a("string");
  });

  it("in the stack, stores the SMS events of #9's configuration set when #9 is enabled and none is named", async () => {
    const sms = { originationIdentities: [{ identity: "pool-0123456789abcdef0123456789abcdef", mps: 1 }] };
    const run = await runUnderMocks(() => createStack(parseStackConfig({ smsFileDrop: { enabled: true, ...sms }, eventDatabase: { enabled: true, sesEvents: false } })), { stack: "edb-sms" });
    const destination = run.resources.find((r) => r.name === "event-database-sms-destination");
    const created = run.resources.find((r) => r.type === "aws:pinpoint/smsvoicev2ConfigurationSet:Smsvoicev2ConfigurationSet");
    expect(created, "#9's configuration set").to.not.equal(undefined);
    expect(destination?.inputs.configurationSetName).to.equal(created?.inputs.name);
    expect(destination?.inputs.matchingEventTypes).to.deep.equal(["TEXT_ALL"]);
  });

  it("in the stack, needs #1 when SES events are on and no configuration set is named", async () => {
    const missing = await stackConfigFailure({ eventDatabase: { enabled: true } });
    expect(missing.registered).to.equal(0);
    expect(missing.issues.join("\n")).to.contain("eventDatabase").and.to.contain("sesEventProcessing");
  });
});
