/**
 * The event database's schema and SQL, as data: the `all_events` table (the seed's columns plus the
 * SES event types the seed lacked), its partition projection, every Athena view with its declared
 * columns, the seed's two example queries, and the Glue encoding of an Athena view.
 *
 * One type tree gives the Glue (Hive) column types, the Presto types a view declares, and the
 * DuckDB types the SQL tests run on, so they cannot drift apart.
 */

/** A column type of the table: Hive's primitives and nested types. */
export type ColumnType =
  | "string"
  | "bigint"
  | "int"
  | "double"
  | "boolean"
  | { struct: readonly (readonly [string, ColumnType])[] }
  | { array: ColumnType }
  | { map: readonly [ColumnType, ColumnType] };

const struct = (...fields: (readonly [string, ColumnType])[]): ColumnType => ({ struct: fields });
const array = (of: ColumnType): ColumnType => ({ array: of });
const stringMap: ColumnType = { map: ["string", "string"] };

const MAIL_EVENT = struct(
  [
    "mail",
    struct(
      ["message_id", "string"],
      ["message_send_timestamp", "bigint"],
      ["from_address", "string"],
      ["destination", array("string")],
      ["headers_truncated", "boolean"],
      ["headers", array(stringMap)],
      ["common_headers", struct(["from", "string"], ["to", array("string")], ["subject", "string"])],
    ),
  ],
  ["send", stringMap],
  ["delivery", struct(["smtp_response", "string"], ["reporting_mta", "string"], ["recipients", array("string")], ["processing_time_millis", "int"])],
  ["open", struct(["ip_address", "string"], ["user_agent", "string"])],
  ["click", struct(["ip_address", "string"], ["user_agent", "string"], ["link", "string"], ["link_tags", struct(["unsubscribeLinkTag", array("string")])])],
  ["reject", struct(["reason", "string"])],
  [
    "complaint",
    struct(["complained_recipients", array(struct(["email_address", "string"]))], ["feedback_id", "string"], ["user_agent", "string"], ["complaint_feedback_type", "string"]),
  ],
  [
    "bounce",
    struct(
      ["bounce_type", "string"],
      ["bounce_sub_type", "string"],
      ["bounced_recipients", array(struct(["email_address", "string"], ["action", "string"], ["status", "string"], ["diagnostic_code", "string"]))],
      ["feedback_id", "string"],
      ["reporting_mta", "string"],
    ),
  ],
  // Added: SES event types Pinpoint never streamed (Parquet conversion drops fields the schema lacks).
  ["rendering_failure", struct(["error_message", "string"], ["template_name", "string"])],
  [
    "delivery_delay",
    struct(
      ["delay_type", "string"],
      ["expiration_time", "string"],
      ["reporting_mta", "string"],
      ["delayed_recipients", array(struct(["email_address", "string"], ["status", "string"], ["diagnostic_code", "string"]))],
    ),
  ],
  ["subscription", struct(["contact_list", "string"], ["source", "string"], ["new_topic_preferences", "string"], ["old_topic_preferences", "string"])],
);

/** `all_events`: the seed's columns (spec §2.5), in its order, with the mail_event additions above. */
export const ALL_EVENTS_COLUMNS: readonly (readonly [string, ColumnType])[] = [
  ["event_type", "string"],
  ["event_timestamp", "bigint"],
  ["arrival_timestamp", "bigint"],
  ["event_version", "string"],
  ["application", struct(["app_id", "string"], ["sdk", stringMap])],
  ["client", struct(["client_id", "string"], ["cognito_id", "string"])],
  ["device", struct(["platform", stringMap])],
  ["session", stringMap],
  ["attributes", stringMap],
  ["client_context", struct(["custom", stringMap])],
  // Glue keeps column names in lower case; Firehose's JSON deserializer matches keys case-insensitively.
  ["awsaccountid", "string"],
  ["facets", struct(["email_channel", struct(["mail_event", MAIL_EVENT])])],
  ["metrics", struct(["price_in_millicents_usd", "double"])],
];

export const TABLE_NAME = "all_events";
/** The projected partition key: Firehose's UTC arrival hour, as it writes it into the key prefix. */
export const PARTITION_KEY = "datehour";
export const EVENTS_PREFIX = "events/";
export const ERRORS_PREFIX = "errors/";
export const ATHENA_RESULTS_PREFIX = "athena-results/";
/** Firehose's prefix for delivered objects: `events/yyyy/MM/dd/HH/` in UTC, the projection's format. */
export const FIREHOSE_PREFIX = `${EVENTS_PREFIX}!{timestamp:yyyy/MM/dd/HH}/`;
export const FIREHOSE_ERROR_PREFIX = `${ERRORS_PREFIX}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd/HH}/`;

/** Hive's spelling, as Glue stores it. */
export function hiveType(type: ColumnType): string {
  if (typeof type === "string") return type;
  if ("struct" in type) return `struct<${type.struct.map(([name, t]) => `${name}:${hiveType(t)}`).join(",")}>`;
  if ("array" in type) return `array<${hiveType(type.array)}>`;
  return `map<${hiveType(type.map[0])},${hiveType(type.map[1])}>`;
}

/** DuckDB's spelling (the SQL tests and the benchmark build the table from it). */
export function duckDbType(type: ColumnType): string {
  if (typeof type === "string") return { string: "VARCHAR", bigint: "BIGINT", int: "INTEGER", double: "DOUBLE", boolean: "BOOLEAN" }[type];
  if ("struct" in type) return `STRUCT(${type.struct.map(([name, t]) => `"${name}" ${duckDbType(t)}`).join(", ")})`;
  if ("array" in type) return `${duckDbType(type.array)}[]`;
  return `MAP(${duckDbType(type.map[0])}, ${duckDbType(type.map[1])})`;
}

/**
 * Partition projection (Athena computes the partitions from these properties: no partition
 * Lambda, no MSCK REPAIR). The key is a string in Firehose's `yyyy/MM/dd/HH` layout; the range
 * ends NOW and starts as far back as events are kept.
 * https://docs.aws.amazon.com/athena/latest/ug/partition-projection-kinesis-firehose-example.html
 */
export function projectionParameters(bucketName: string, retentionDays: number): Record<string, string> {
  return {
    classification: "parquet",
    "parquet.compression": "SNAPPY",
    "projection.enabled": "true",
    [`projection.${PARTITION_KEY}.type`]: "date",
    [`projection.${PARTITION_KEY}.format`]: "yyyy/MM/dd/HH",
    [`projection.${PARTITION_KEY}.range`]: `NOW-${retentionDays}DAYS,NOW`,
    [`projection.${PARTITION_KEY}.interval`]: "1",
    [`projection.${PARTITION_KEY}.interval.unit`]: "HOURS",
    "storage.location.template": `s3://${bucketName}/${EVENTS_PREFIX}\${${PARTITION_KEY}}/`,
  };
}

// ---------------------------------------------------------------------------------------------
// Views

/** A view column's type as Presto/Trino names it (and as the encoded view declares it). */
export type PrestoType =
  | "varchar"
  | "bigint"
  | "integer"
  | "double"
  | "timestamp(3)"
  | "timestamp(3) with time zone"
  | "array(varchar)"
  | "map(varchar,varchar)";

export interface ViewColumn {
  name: string;
  type: PrestoType;
}

export interface ViewDefinition {
  name: string;
  /** Why it exists or what it fixes, for the Glue description. */
  description: string;
  sql: string;
  columns: ViewColumn[];
}

const PRESTO_TO_HIVE: Record<PrestoType, string> = {
  varchar: "string",
  bigint: "bigint",
  integer: "int",
  double: "double",
  "timestamp(3)": "timestamp",
  "timestamp(3) with time zone": "timestamp",
  "array(varchar)": "array<string>",
  "map(varchar,varchar)": "map<string,string>",
};

export function prestoToHive(type: PrestoType): string {
  return PRESTO_TO_HIVE[type];
}

type Col = [expression: string, name: string, type: PrestoType];

const MAIL = "facets.email_channel.mail_event";
// element_at, not attributes['k']: Trino's subscript fails the whole query on a missing key.
const attr = (key: string, name = key): Col => [`element_at(attributes, '${key}')`, name, "varchar"];

const BASE: Col[] = [
  ["from_unixtime(event_timestamp / 1000)", "event_timestamp", "timestamp(3) with time zone"],
  ["from_unixtime(arrival_timestamp / 1000)", "arrival_timestamp", "timestamp(3) with time zone"],
  ["application.app_id", "application_id", "varchar"],
  ["client.client_id", "endpoint_id", "varchar"],
];
// The seed read attributes['treament_id'] (a typo): its column was always NULL.
const CAMPAIGN: Col[] = [attr("campaign_id", "pinpoint_campaign_id"), attr("treatment_id", "pinpoint_treatment_id")];
const ACCOUNT: Col = ["awsaccountid", "aws_account_id", "varchar"];
const MAIL_COLUMNS: Col[] = [
  [`${MAIL}.mail.message_id`, "message_id", "varchar"],
  [`from_unixtime(${MAIL}.mail.message_send_timestamp / 1000)`, "message_send_timestamp", "timestamp(3) with time zone"],
  [`${MAIL}.mail.from_address`, "from_address", "varchar"],
  [`${MAIL}.mail.destination`, "destination", "array(varchar)"],
];
const SUBJECT: Col = [`${MAIL}.mail.common_headers.subject`, "subject", "varchar"];
// MAP() is map(unknown, unknown), which COALESCE coerces to the column's map(varchar, varchar).
const EMPTY_MAP = "MAP()";
const MESSAGE_TAGS: Col = [`map_concat(COALESCE(client_context.custom, ${EMPTY_MAP}), COALESCE(attributes, ${EMPTY_MAP}))`, "message_tags", "map(varchar,varchar)"];
// TRY: the seed's bare CAST(JSON_PARSE(...)) failed the whole query on one context that was not a flat JSON object.
const SMS_TAGS: Col = ["TRY(CAST(json_parse(element_at(attributes, 'customer_context')) AS MAP(VARCHAR, VARCHAR)))", "message_tags", "map(varchar,varchar)"];
const INGEST: Col = [`date_parse(${PARTITION_KEY}, '%Y/%m/%d/%H')`, "ingest_timestamp", "timestamp(3)"];
const SMS_COLUMNS: Col[] = [
  attr("sender_request_id"),
  attr("destination_phone_number"),
  attr("record_status"),
  attr("iso_country_code"),
  attr("number_of_message_parts"),
  attr("message_id"),
];
const PRICE: Col = ["metrics.price_in_millicents_usd", "price_in_millicents_usd", "double"];

function view(name: string, description: string, columns: Col[], where: string, from = TABLE_NAME): ViewDefinition {
  const select = columns.map(([expression, alias]) => `  ${expression} AS ${alias}`).join(",\n");
  return {
    name,
    description,
    sql: `SELECT\n${select}\nFROM ${from}\nWHERE ${where}`,
    columns: columns.map(([, alias, type]) => ({ name: alias, type })),
  };
}

const eventType = (type: string) => `event_type = '${type}'`;
const email = (...extra: Col[]): Col[] => [...BASE, ...CAMPAIGN, ACCOUNT, ...MAIL_COLUMNS, ...extra, MESSAGE_TAGS, INGEST];

const bounceView = (name: string, description: string, type: string) =>
  view(
    name,
    description,
    email(
      [`${MAIL}.bounce.bounce_type`, "bounce_type", "varchar"],
      [`${MAIL}.bounce.bounce_sub_type`, "bounce_sub_type", "varchar"],
      [`${MAIL}.bounce.feedback_id`, "feedback_id", "varchar"],
      [`${MAIL}.bounce.reporting_mta`, "reporting_mta", "varchar"],
      ["bounced_recipient.email_address", "bounced_recipient_email_address", "varchar"],
      ["bounced_recipient.action", "bounced_recipient_action", "varchar"],
      ["bounced_recipient.status", "bounced_recipient_status", "varchar"],
      ["bounced_recipient.diagnostic_code", "bounced_recipient_diagnostic_code", "varchar"],
    ),
    eventType(type),
    `${TABLE_NAME}\nCROSS JOIN UNNEST(${MAIL}.bounce.bounced_recipients) AS t(bounced_recipient)`,
  );

/** The seed's 15 views, same names and columns, bugs fixed; then the views it lacked. */
export const VIEWS: readonly ViewDefinition[] = [
  view("email_send", "SES Send / Pinpoint _email.send", email(SUBJECT), eventType("_email.send")),
  bounceView("email_hardbounce", "_email.hardbounce (SES Permanent bounce), one row per bounced recipient", "_email.hardbounce"),
  bounceView("email_softbounce", "_email.softbounce (SES Transient/Undetermined bounce), one row per bounced recipient", "_email.softbounce"),
  view(
    "email_complaint",
    "_email.complaint, one row per complaining recipient",
    email(
      ["complained_recipient.email_address", "complained_email_address", "varchar"],
      [`${MAIL}.complaint.feedback_id`, "feedback_id", "varchar"],
      [`${MAIL}.complaint.user_agent`, "user_agent", "varchar"],
      [`${MAIL}.complaint.complaint_feedback_type`, "complaint_feedback_type", "varchar"],
    ),
    eventType("_email.complaint"),
    `${TABLE_NAME}\nCROSS JOIN UNNEST(${MAIL}.complaint.complained_recipients) AS t(complained_recipient)`,
  ),
  view(
    "email_delivered",
    "_email.delivered (SES Delivery)",
    email(
      SUBJECT,
      [`${MAIL}.delivery.smtp_response`, "smtp_response", "varchar"],
      [`${MAIL}.delivery.reporting_mta`, "reporting_mta", "varchar"],
      [`${MAIL}.delivery.recipients`, "recipients", "array(varchar)"],
      [`${MAIL}.delivery.processing_time_millis`, "processing_time_millis", "integer"],
    ),
    eventType("_email.delivered"),
  ),
  view(
    "email_open",
    "_email.open (SES Open)",
    email(SUBJECT, [`${MAIL}.open.ip_address`, "ip_address", "varchar"], [`${MAIL}.open.user_agent`, "user_agent", "varchar"]),
    eventType("_email.open"),
  ),
  view(
    "email_click",
    "_email.click (SES Click)",
    email(
      SUBJECT,
      [`${MAIL}.click.ip_address`, "ip_address", "varchar"],
      [`${MAIL}.click.user_agent`, "user_agent", "varchar"],
      [`${MAIL}.click.link`, "link", "varchar"],
    ),
    eventType("_email.click"),
  ),
  view(
    "email_unsubscribe",
    "_email.unsubscribe (SES Click on a link tagged unsubscribeLinkTag); the seed's unaliased column is named explicitly",
    email(
      SUBJECT,
      [`${MAIL}.click.ip_address`, "ip_address", "varchar"],
      [`${MAIL}.click.user_agent`, "user_agent", "varchar"],
      [`${MAIL}.click.link`, "link", "varchar"],
      [`${MAIL}.click.link_tags.unsubscribeLinkTag`, "unsubscribelinktag", "array(varchar)"],
    ),
    eventType("_email.unsubscribe"),
  ),
  view("email_rejected", "_email.rejected (SES Reject)", email(SUBJECT, [`${MAIL}.reject.reason`, "reject_reason", "varchar"]), eventType("_email.rejected")),
  view(
    "sms_buffered",
    "_SMS.BUFFERED (End User Messaging QUEUED, PENDING, SUCCESSFUL)",
    [...BASE, ...CAMPAIGN, ACCOUNT, ...SMS_COLUMNS, attr("message_type"), PRICE, SMS_TAGS, INGEST],
    eventType("_SMS.BUFFERED"),
  ),
  view(
    "sms_success",
    "_SMS.SUCCESS (End User Messaging DELIVERED)",
    [...BASE, ...CAMPAIGN, ACCOUNT, ...SMS_COLUMNS, attr("message_type"), attr("origination_phone_number"), PRICE, SMS_TAGS, INGEST],
    eventType("_SMS.SUCCESS"),
  ),
  view(
    "sms_failure",
    "_SMS.FAILURE (End User Messaging failure statuses)",
    [...BASE, ...CAMPAIGN, ACCOUNT, ...SMS_COLUMNS, PRICE, SMS_TAGS, INGEST],
    eventType("_SMS.FAILURE"),
  ),
  view(
    "sms_optout",
    "_SMS.OPTOUT",
    [...BASE, ...CAMPAIGN, ACCOUNT, ...SMS_COLUMNS, attr("message_type"), attr("origination_phone_number"), PRICE, SMS_TAGS, INGEST],
    eventType("_SMS.OPTOUT"),
  ),
  view("campaign_send", "_campaign.send (Pinpoint only)", [...BASE, ...CAMPAIGN, ACCOUNT, ["attributes", "message_tags", "map(varchar,varchar)"], INGEST], eventType("_campaign.send")),
  view(
    "journey_send",
    "_journey.send (Pinpoint only)",
    [
      ...BASE,
      attr("journey_run_id"),
      attr("journey_send_status"),
      attr("journey_id"),
      attr("journey_activity_id"),
      ACCOUNT,
      MESSAGE_TAGS,
      INGEST,
    ],
    eventType("_journey.send"),
  ),
  // Views the seed lacked.
  view(
    "email_rendering_failure",
    "_email.rendering_failure (SES Rendering Failure)",
    email(
      SUBJECT,
      [`${MAIL}.rendering_failure.template_name`, "template_name", "varchar"],
      [`${MAIL}.rendering_failure.error_message`, "error_message", "varchar"],
    ),
    eventType("_email.rendering_failure"),
  ),
  view(
    "email_delivery_delay",
    "_email.delivery_delay (SES DeliveryDelay), one row per delayed recipient",
    email(
      SUBJECT,
      [`${MAIL}.delivery_delay.delay_type`, "delay_type", "varchar"],
      [`${MAIL}.delivery_delay.expiration_time`, "expiration_time", "varchar"],
      [`${MAIL}.delivery_delay.reporting_mta`, "reporting_mta", "varchar"],
      ["delayed_recipient.email_address", "delayed_recipient_email_address", "varchar"],
      ["delayed_recipient.status", "delayed_recipient_status", "varchar"],
      ["delayed_recipient.diagnostic_code", "delayed_recipient_diagnostic_code", "varchar"],
    ),
    eventType("_email.delivery_delay"),
    `${TABLE_NAME}\nCROSS JOIN UNNEST(${MAIL}.delivery_delay.delayed_recipients) AS t(delayed_recipient)`,
  ),
  view(
    "email_subscription",
    "_email.subscription (SES Subscription: list-unsubscribe and topic preference changes)",
    email(
      [`${MAIL}.subscription.contact_list`, "contact_list", "varchar"],
      [`${MAIL}.subscription.source`, "subscription_source", "varchar"],
      [`${MAIL}.subscription.new_topic_preferences`, "new_topic_preferences", "varchar"],
      [`${MAIL}.subscription.old_topic_preferences`, "old_topic_preferences", "varchar"],
    ),
    eventType("_email.subscription"),
  ),
  view(
    "sms_events",
    "Every End User Messaging SMS event, with the fields Pinpoint's SMS events lacked",
    [
      ...BASE,
      ...CAMPAIGN,
      ACCOUNT,
      ["event_type", "pinpoint_event_type", "varchar"],
      attr("eum_event_type"),
      attr("record_status"),
      attr("is_final"),
      attr("message_id"),
      attr("origination_phone_number"),
      attr("destination_phone_number"),
      attr("iso_country_code"),
      attr("mcc"),
      attr("mnc"),
      attr("message_type"),
      attr("message_encoding"),
      attr("message_status_description"),
      attr("number_of_message_parts"),
      attr("total_message_price"),
      attr("total_carrier_fee"),
      PRICE,
      SMS_TAGS,
      INGEST,
    ],
    "starts_with(element_at(attributes, 'eum_event_type'), 'TEXT_')",
  ),
];

/** The seed's two example queries (its README), as named queries, unchanged. */
export const EXAMPLE_QUERIES: readonly { name: string; description: string; sql: string }[] = [
  {
    name: "campaign-engagement",
    description: "Seed example: every campaign with its sends, opens, clicks, hard and soft bounces and unsubscribes",
    sql: `SELECT
  pinpoint_campaign_id,
  (SELECT COUNT(*) FROM email_send WHERE email_send.pinpoint_campaign_id = campaign_send.pinpoint_campaign_id) AS NumSends,
  (SELECT COUNT(*) FROM email_open WHERE email_open.pinpoint_campaign_id = campaign_send.pinpoint_campaign_id) AS NumOpens,
  (SELECT COUNT(*) FROM email_click WHERE email_click.pinpoint_campaign_id = campaign_send.pinpoint_campaign_id) AS NumClicks,
  (SELECT COUNT(*) FROM email_hardbounce WHERE email_hardbounce.pinpoint_campaign_id = campaign_send.pinpoint_campaign_id) AS NumHardBounces,
  (SELECT COUNT(*) FROM email_softbounce WHERE email_softbounce.pinpoint_campaign_id = campaign_send.pinpoint_campaign_id) AS NumSoftBounces,
  (SELECT COUNT(*) FROM email_unsubscribe WHERE email_unsubscribe.pinpoint_campaign_id = campaign_send.pinpoint_campaign_id) AS NumUnsubs

FROM campaign_send
WHERE ingest_timestamp > current_timestamp - interval '30' day
GROUP BY pinpoint_campaign_id`,
  },
  {
    name: "recipient-opens",
    description: "Seed example: emails received by an address in the last 30 days, and whether each was opened",
    sql: `SELECT
  a.event_timestamp as WhenSent,
  a.subject as EmailSubject,
  CASE WHEN b.event_timestamp IS NULL THEN 0 ELSE 1 END as DidOpen
FROM email_send a
LEFT JOIN email_open b
  ON a.message_id = b.message_id
WHERE contains(a.destination, 'example_address@example.com')
  AND a.ingest_timestamp > current_timestamp - interval '30' day
ORDER BY a.event_timestamp DESC`,
  },
];

// ---------------------------------------------------------------------------------------------
// Glue encoding of an Athena (Presto/Trino) view

/** Glue's catalog name as Athena writes it into a view. */
export const ATHENA_CATALOG = "awsdatacatalog";

/** The JSON Athena stores, base64-encoded, in a view's `ViewOriginalText`. */
export interface PrestoViewDocument {
  originalSql: string;
  catalog: string;
  schema: string;
  columns: ViewColumn[];
}

const PRESTO_VIEW_PREFIX = "/* Presto View: ";
const PRESTO_VIEW_SUFFIX = " */";
/** What Athena puts in `ViewExpandedText`. */
export const PRESTO_VIEW_EXPANDED_TEXT = "/* Presto View */";

/**
 * `/* Presto View: <base64 of the JSON> *\/`: the form Trino's Hive/Glue connector reads a view in
 * (and Athena writes), so a view declared as a Glue VIRTUAL_VIEW table is queryable without DDL.
 */
export function encodePrestoView(view: ViewDefinition, databaseName: string): string {
  const document: PrestoViewDocument = { originalSql: view.sql, catalog: ATHENA_CATALOG, schema: databaseName, columns: view.columns };
  return `${PRESTO_VIEW_PREFIX}${Buffer.from(JSON.stringify(document), "utf8").toString("base64")}${PRESTO_VIEW_SUFFIX}`;
}

/** The inverse of `encodePrestoView`; throws on text that is not an encoded view. */
export function decodePrestoView(text: string): PrestoViewDocument {
  if (!text.startsWith(PRESTO_VIEW_PREFIX) || !text.endsWith(PRESTO_VIEW_SUFFIX)) throw new Error("not a Presto view: missing the /* Presto View: ... */ wrapper");
  const encoded = text.slice(PRESTO_VIEW_PREFIX.length, text.length - PRESTO_VIEW_SUFFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error("not a Presto view: the payload is not base64");
  return JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as PrestoViewDocument;
}
