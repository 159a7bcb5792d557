/**
 * npm run bench:eventdb [-- --events N]
 *
 * 1. Generates N engagement events (default 1,000,000; SES ≈ 70 %, End User Messaging SMS ≈ 30 %)
 *    spread over the last 30 days, and runs them through the transformation in Firehose-sized
 *    batches: throughput, and heap / RSS on one 3 MB batch (Firehose's largest).
 * 2. Writes the rows the way each layout stores them:
 *    - seed (S3_Data_Lake.yaml): uncompressed JSON lines, one unpartitioned table (its size is counted);
 *    - this project: Parquet (SNAPPY) by DuckDB under hourly prefixes. Firehose (300 s / 128 MB)
 *      would write one object per 5-minute buffer at this rate: a sample of hours is written that
 *      way too, and the Parquet byte counts are scaled by the size ratio it shows.
 * 3. For the seed's two example queries and three views, the bytes each would read:
 *    - JSON: every scan of all_events reads the whole table (no partitions, no columns);
 *    - Parquet: every scan reads, in every object of the selected partitions, the column chunks of
 *      the leaf columns the SQL references (Athena reads nested Parquet columns by leaf), summed
 *      from DuckDB's parquet_metadata. The queries here filter on the last 30 days or not at all,
 *      so every partition is selected: partition projection saves nothing on them, columns do.
 *    - the later AWS solution (digital-user-engagement-events-database v1.0.0): the same Parquet
 *      all_events columns, hourly partitions added by a Lambda, and views referencing the same
 *      leaves, so the same bytes: the ratio is reported, and why it is 1.
 *    Each query is also executed in DuckDB on the Parquet files, to show it runs.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { FirehoseTransformationEvent } from "aws-lambda";
import { ALL_EVENTS_COLUMNS, EXAMPLE_QUERIES, PARTITION_KEY, TABLE_NAME, VIEWS, duckDbType } from "../components/analytics/views";
import { TRANSFORM_BUFFER_MB } from "../components/analytics/event-database";
import { transformRecords } from "../functions/event-database/transform";
import { SES_EVENTS, SMS_EVENTS } from "../test/fixtures/event-database";
import { createViews, query, trinoLikeDuckDb } from "../test/sql/duckdb-trino";
import { columnPaths, parseTrino } from "../test/sql/trino-sql";

const argv = process.argv.slice(2);
const EVENTS = Number(argv[argv.indexOf("--events") + 1] ?? 0) || 1_000_000;
/** Events run through the transformation for its throughput. */
const THROUGHPUT_EVENTS = Math.min(EVENTS, 100_000);
/** Events whose row template is compared with the transformation's real output. */
const CHECKED_EVENTS = Math.min(EVENTS, 5_000);
/** Days of the 30 written as Parquet (the bytes of all 30 scale from them). */
const SAMPLE_DAYS = 2;
/** The component's default Firehose buffering interval. */
const BUFFER_SECONDS = 900;
/** digital-user-engagement-events-database v1.0.0's Firehose buffering interval (300 s / 128 MB). */
const V1_BUFFER_SECONDS = 300;
const DAY = 86_400_000;
const NOW = Date.now();
const START = NOW - 30 * DAY;
const CONFIG = { campaignIdTag: "campaign_id", treatmentIdTag: "treatment_id" };
const STREAM_ARN = "arn:aws:firehose:us-east-1:123456789012:deliverystream/bench";

// A realistic mix: most SES events are sends and deliveries, a few opens and clicks, rare failures.
const MIX: [weight: number, make: (i: number, t: number) => unknown][] = [
  [30, (i, t) => ses("send", i, t)],
  [28, (i, t) => ses("delivery", i, t)],
  [6, (i, t) => ses("open", i, t)],
  [2, (i, t) => ses("click", i, t)],
  [0.3, (i, t) => ses("click-unsubscribe", i, t)],
  [1.2, (i, t) => ses("bounce-permanent", i, t)],
  [0.4, (i, t) => ses("bounce-transient", i, t)],
  [0.08, (i, t) => ses("complaint", i, t)],
  [0.5, (i, t) => ses("delivery-delay", i, t)],
  [0.02, (i, t) => ses("reject", i, t)],
  [10, (i, t) => sms("text-successful", i, t)],
  [10, (i, t) => sms("text-delivered", i, t)],
  [9, (i, t) => sms("text-queued", i, t)],
  [2.5, (i, t) => sms("text-carrier-unreachable", i, t)],
];
const TOTAL_WEIGHT = MIX.reduce((s, [w]) => s + w, 0);

function iso(t: number): string {
  return new Date(t).toISOString();
}

function ses(name: keyof typeof SES_EVENTS, i: number, t: number): unknown {
  const e = structuredClone(SES_EVENTS[name]) as unknown as Record<string, Record<string, unknown>> & { mail: Record<string, unknown> };
  const messageId = `0100019a${i.toString(16).padStart(8, "0")}-${(i * 2654435761).toString(16).slice(-8)}-000000`;
  e.mail.messageId = messageId;
  e.mail.timestamp = iso(t - 1000);
  e.mail.destination = [recipient(i)];
  (e.mail.commonHeaders as Record<string, unknown>).subject = `Your statement ${i % 97} — relevé`;
  (e.mail.tags as Record<string, string[]>).campaign_id = [`campaign-${i % 40}`];
  for (const key of ["delivery", "bounce", "complaint", "open", "click", "deliveryDelay"]) if (e[key]) e[key].timestamp = iso(t);
  return e;
}

function sms(name: keyof typeof SMS_EVENTS, i: number, t: number): unknown {
  const e = structuredClone(SMS_EVENTS[name]) as Record<string, unknown>;
  e.messageId = `${i.toString(16).padStart(8, "0")}-60c0-4430-9b2b-658bdexample`;
  e.eventTimestamp = t;
  e.messageRequestTimestamp = t - 300;
  e.destinationPhoneNumber = `+1425555${String(i % 10000).padStart(4, "0")}`;
  if (e.context) e.context = { campaign_id: `campaign-${i % 40}`, row: `row-${i}` };
  return e;
}

/** Recipients; every 2,000th is the address the README's second query looks for. */
function recipient(i: number): string {
  return i % 2000 === 0 ? "example_address@example.com" : `user${i % 200_000}@example.net`;
}

/** Deterministic pseudo-random in [0, 1). */
function rand(i: number): number {
  const x = Math.sin(i * 12.9898) * 43758.5453;
  return x - Math.floor(x);
}

function generate(i: number): { payload: unknown; arrival: number } {
  const t = START + Math.floor(rand(i) * 30 * DAY);
  return { payload: kindOf(i).make(i, t), arrival: t + 500 };
}

function datehour(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}`;
}

function mb(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

/** Builds Firehose events of at most `maxBytes` of record data each. */
function* batches(
  first: number,
  count: number,
  maxBytes: number,
  make: (i: number) => { payload: unknown; arrival: number } = generate,
): Generator<{ event: FirehoseTransformationEvent; bytes: number }> {
  let records: FirehoseTransformationEvent["records"] = [];
  let bytes = 0;
  for (let i = first; i < first + count; i++) {
    const { payload, arrival } = make(i);
    const raw = Buffer.from(JSON.stringify(payload), "utf8");
    if (bytes + raw.length > maxBytes && records.length > 0) {
      yield { event: { invocationId: "bench", deliveryStreamArn: STREAM_ARN, region: "us-east-1", records }, bytes };
      records = [];
      bytes = 0;
    }
    records.push({ recordId: String(i), approximateArrivalTimestamp: arrival, data: raw.toString("base64") });
    bytes += raw.length;
  }
  if (records.length > 0) yield { event: { invocationId: "bench", deliveryStreamArn: STREAM_ARN, region: "us-east-1", records }, bytes };
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-eventdb-"));
  const began = Date.now();
  let last = Date.now();
  const lap = (stage: string) => {
    console.error(`  (${stage}: ${((Date.now() - last) / 1000).toFixed(1)} s)`);
    last = Date.now();
  };
  console.log(`# bench:eventdb — ${EVENTS.toLocaleString("en-US")} events over 30 days; scratch ${dir}`);

  // 1. The transformation on the largest batches Firehose hands it: the configured 2 MB
  // (TRANSFORM_BUFFER_MB) and Firehose's 3 MB maximum, for the mix and for SMS events only (their
  // rows grow most). Lambda rejects a response over 6 MB, failing the whole batch.
  const smsOnly = (i: number) => ({ payload: sms((["text-successful", "text-delivered", "text-queued"] as const)[i % 3], i, START + i), arrival: START + i });
  for (const [label, mbytes, make] of [
    ["mix", TRANSFORM_BUFFER_MB, generate],
    ["SMS only", TRANSFORM_BUFFER_MB, smsOnly],
    ["mix", 3, generate],
    ["SMS only", 3, smsOnly],
  ] as const) {
    const [largest] = batches(0, 50_000, mbytes * 1024 * 1024, make);
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    const t0 = process.hrtime.bigint();
    const { result } = transformRecords(largest.event, CONFIG);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const response = Buffer.byteLength(JSON.stringify(result));
    console.log(
      `transform, one ${mbytes} MB batch (${label}): ${largest.event.records.length} records in ${ms.toFixed(0)} ms; request ${mb(Buffer.byteLength(JSON.stringify(largest.event)))} MB, ` +
        `response ${mb(response)} MB (${response > 6 * 1024 * 1024 ? "OVER" : "under"} Lambda's 6 MB); heap +${mb(process.memoryUsage().heapUsed - heapBefore)} MB, RSS +${mb(process.memoryUsage().rss - rssBefore)} MB`,
    );
  }
  lap("largest batches");

  // 2. Throughput: the first THROUGHPUT_EVENTS events through the transformation, in 2 MB batches.
  let transformed = 0;
  let transformMs = 0;
  for (const { event } of batches(0, THROUGHPUT_EVENTS, TRANSFORM_BUFFER_MB * 1024 * 1024)) {
    const start = process.hrtime.bigint();
    const { result: batch } = transformRecords(event, CONFIG);
    transformMs += Number(process.hrtime.bigint() - start) / 1e6;
    transformed += batch.records.filter((r) => r.result === "Ok").length;
  }
  console.log(`transform throughput: ${transformed.toLocaleString("en-US")} events in ${(transformMs / 1000).toFixed(1)} s = ${Math.round(transformed / (transformMs / 1000)).toLocaleString("en-US")} records/s (one thread, shared CPU)`);
  lap("throughput");

  // 3. All N rows. The transformation copies ids, times, addresses, subjects and tags verbatim, so
  // each event's row is its type's row with those values substituted; checked against the real
  // transformation on the first CHECKED_EVENTS events.
  const rowOf = rowTemplates();
  for (let i = 0; i < CHECKED_EVENTS; i++) {
    const { payload, arrival } = generate(i);
    const { result: one } = transformRecords({ invocationId: "c", deliveryStreamArn: STREAM_ARN, region: "us-east-1", records: [{ recordId: "c", approximateArrivalTimestamp: arrival, data: Buffer.from(JSON.stringify(payload)).toString("base64") }] }, CONFIG);
    const real = Buffer.from(one.records[0].data ?? "", "base64").toString("utf8");
    if (real !== rowOf(i) || Buffer.byteLength(real) !== rowOf.bytes(i)) throw new Error(`row template differs from the transformation for event ${i}`);
  }
  const sampleDays = new Set(Array.from({ length: SAMPLE_DAYS }, (_, d) => 10 + d));
  const jsonFile = path.join(dir, "sample.ndjson");
  const out = fs.openSync(jsonFile, "w");
  let seedJsonBytes = 0;
  let sampleRows = 0;
  const lines: string[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const arrival = arrivalOf(i);
    if (!sampleDays.has(Math.floor((arrival - START) / DAY))) {
      seedJsonBytes += rowOf.bytes(i);
      continue;
    }
    const row = rowOf(i);
    seedJsonBytes += Buffer.byteLength(row);
    sampleRows++;
    const windows = `"buffer_window":${Math.floor(arrival / (BUFFER_SECONDS * 1000))},"v1_window":${Math.floor(arrival / (V1_BUFFER_SECONDS * 1000))}`;
    lines.push(`${row.slice(0, -2)},"${PARTITION_KEY}":"${datehour(arrival)}",${windows}}\n`);
    if (lines.length > 20_000) fs.writeSync(out, lines.splice(0).join(""));
  }
  fs.writeSync(out, lines.join(""));
  fs.closeSync(out);
  console.log(`rows: ${EVENTS.toLocaleString("en-US")} (first ${CHECKED_EVENTS.toLocaleString("en-US")} identical to the transformation's output); seed layout (uncompressed JSON, unpartitioned): ${mb(seedJsonBytes)} MB`);
  lap("rows");

  // 4. Parquet for SAMPLE_DAYS of the 30 days, one object per Firehose buffer (BUFFER_SECONDS), as
  // Firehose writes at this rate (the 128 MB size limit is never reached). Objects of different
  // hours are independent, so the bytes of 30 days are the sample's × 30 / SAMPLE_DAYS.
  const db = await trinoLikeDuckDb();
  const columns = [...ALL_EVENTS_COLUMNS.map(([n, t]) => `'${n}': '${duckDbType(t)}'`), `'${PARTITION_KEY}': 'VARCHAR'`, "'buffer_window': 'BIGINT'", "'v1_window': 'BIGINT'"].join(", ");
  await db.connection.run("SET preserve_insertion_order = false");
  await db.connection.run(`CREATE TABLE staged AS SELECT * FROM read_json('${jsonFile}', format = 'newline_delimited', columns = {${columns}})`);
  fs.rmSync(jsonFile);
  const parquetDir = path.join(dir, "events");
  await db.connection.run(`COPY (SELECT * EXCLUDE (${PARTITION_KEY}, v1_window) FROM staged) TO '${parquetDir}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (buffer_window), WRITE_PARTITION_COLUMNS false)`);
  // The same rows as v1.0.0 writes them: the same schema and Parquet, one object per 300 s.
  const v1Dir = path.join(dir, "v1");
  await db.connection.run(`COPY (SELECT * EXCLUDE (${PARTITION_KEY}, buffer_window) FROM staged) TO '${v1Dir}' (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (v1_window), WRITE_PARTITION_COLUMNS false)`);
  await db.connection.run("DROP TABLE staged");
  const files = (await query(db.connection, `SELECT file FROM glob('${parquetDir}/**/*.parquet')`)).map((r) => String(r.file));
  const fileBytes = files.reduce((sum, f) => sum + fs.statSync(f).size, 0);
  const scale = 30 / SAMPLE_DAYS;
  console.log(
    `this project (Parquet SNAPPY, one object per ${BUFFER_SECONDS} s buffer): sample ${SAMPLE_DAYS} days = ${sampleRows.toLocaleString("en-US")} rows in ${files.length} objects, ${mb(fileBytes)} MB; ` +
      `30 days ≈ ${mb(fileBytes * scale)} MB (${((fileBytes * scale) / seedJsonBytes).toFixed(3)} of the JSON)`,
  );
  lap("Parquet");

  const chunksOf = (root: string) => query(db.connection, `SELECT path_in_schema, sum(total_compressed_size)::BIGINT AS bytes FROM parquet_metadata('${root}/**/*.parquet') GROUP BY 1`);
  // Leaf columns each view reads; an UNNEST alias reads below its source array.
  const leaves = (sql: string): string[][] => {
    const aliases = new Map([...sql.matchAll(/UNNEST\(([\w.]+)\) AS t\((\w+)\)/g)].map(([, source, alias]) => [alias, source.split(".")]));
    return columnPaths(parseTrino(sql)).map((p) => (aliases.has(p[0]) ? [...aliases.get(p[0])!, ...p.slice(1)] : p)).filter((p) => p[0] !== PARTITION_KEY);
  };
  const normalize = (chunks: Record<string, unknown>[]) =>
    chunks.map((c) => ({
      path: String(c.path_in_schema)
        .split(", ")
        .filter((part) => !["list", "element", "key_value", "key", "value", "array"].includes(part))
        .map((part) => part.toLowerCase()),
      bytes: Number(c.bytes),
    }));
  const ours = normalize(await chunksOf(parquetDir));
  const v1 = normalize(await chunksOf(v1Dir));
  const v1Files = (await query(db.connection, `SELECT count(*) AS n FROM glob('${v1Dir}/**/*.parquet')`))[0].n;
  console.log(`events-database v1.0.0 layout (same Parquet, one object per ${V1_BUFFER_SECONDS} s buffer): sample in ${v1Files} objects`);
  const bytesOf = (chunks: ReturnType<typeof normalize>, paths: string[][]): number => {
    const wanted = paths.map((p) => p.map((part) => part.toLowerCase()));
    return chunks.filter((c) => wanted.some((w) => w.every((part, i) => c.path[i] === part))).reduce((sum, c) => sum + c.bytes, 0);
  };
  const viewByName = new Map(VIEWS.map((v) => [v.name, v]));
  const cases: { name: string; sql: string; views: string[] }[] = [
    { name: `example 1: ${EXAMPLE_QUERIES[0].name}`, sql: EXAMPLE_QUERIES[0].sql, views: ["campaign_send", "email_send", "email_open", "email_click", "email_hardbounce", "email_softbounce", "email_unsubscribe"] },
    { name: `example 2: ${EXAMPLE_QUERIES[1].name}`, sql: EXAMPLE_QUERIES[1].sql, views: ["email_send", "email_open"] },
    { name: "view email_send", sql: "SELECT * FROM email_send", views: ["email_send"] },
    { name: "view email_hardbounce", sql: "SELECT * FROM email_hardbounce", views: ["email_hardbounce"] },
    { name: "view sms_success", sql: "SELECT * FROM sms_success", views: ["sms_success"] },
  ];

  // The queries run on the sample objects; the partition key comes from the object's hour.
  await db.connection.run(
    `CREATE VIEW ${TABLE_NAME} AS SELECT * EXCLUDE (filename), strftime(to_timestamp((regexp_extract(filename, 'buffer_window=(\\d+)', 1)::BIGINT) * ${BUFFER_SECONDS}), '%Y/%m/%d/%H') AS ${PARTITION_KEY} FROM read_parquet('${parquetDir}/**/*.parquet', filename = true)`,
  );
  await createViews(db.connection, VIEWS);
  console.log("\n| query | scans of all_events | JSON (seed) MB | Parquet MB | Parquet ÷ JSON | ÷ events-database v1.0.0 layout | rows in the sample (DuckDB) |");
  console.log("|---|---|---|---|---|---|---|");
  for (const c of cases) {
    // Every scan reads the view's leaves in every object; v1.0.0's views read the same leaves of the same Parquet columns.
    const read = (chunks: ReturnType<typeof normalize>) => scale * c.views.reduce((sum, v) => sum + bytesOf(chunks, [["event_type"], ...leaves(viewByName.get(v)!.sql)]), 0);
    const parquet = read(ours);
    const parquetV1 = read(v1);
    const json = c.views.length * seedJsonBytes;
    const rows = await query(db.connection, `SELECT count(*) AS n FROM (${c.sql})`);
    console.log(`| ${c.name} | ${c.views.length} | ${mb(json)} | ${mb(parquet)} | ${(parquet / json).toFixed(4)} | ${(parquet / parquetV1).toFixed(2)} | ${rows[0].n} |`);
  }
  lap("queries");
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`\ntotal ${((Date.now() - began) / 1000).toFixed(0)} s; peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} MB`);
}

/** Arrival time of event i (its event time + 0.5 s). */
function arrivalOf(i: number): number {
  return START + Math.floor(rand(i) * 30 * DAY) + 500;
}

/**
 * Row of event i without running the transformation: the row of its type's template event, with
 * the values generate() varies put in by string replacement.
 */
function rowTemplates(): ((i: number) => string) & { bytes: (i: number) => number } {
  const cache = new Map<string, { render: (i: number, t: number) => string; bytes: (i: number, t: number) => number }>();
  const MARK_T = 1_700_000_000_000;
  const forKind = (i: number) => {
    const kind = kindOf(i);
    let entry = cache.get(kind.name);
    if (entry === undefined) {
      // Transform the event of index 0 at a marker time once; later rows substitute their values.
      const payload = kind.make(0, MARK_T);
      const { result } = transformRecords({ invocationId: "t", deliveryStreamArn: STREAM_ARN, region: "us-east-1", records: [{ recordId: "t", approximateArrivalTimestamp: MARK_T + 500, data: Buffer.from(JSON.stringify(payload)).toString("base64") }] }, CONFIG);
      const template = Buffer.from(result.records[0].data ?? "", "base64").toString("utf8");
      const marks = substitutions(0, MARK_T);
      const counts = new Map([...marks].map(([k, mark]) => [k, template.split(mark).length - 1]));
      const render = (j: number, tj: number) => {
        const values = substitutions(j, tj);
        let out = template;
        for (const [k, mark] of marks) out = out.split(mark).join(values.get(k)!);
        return out;
      };
      // The row's byte length without building it: the template's, adjusted per substituted value.
      const base = Buffer.byteLength(template);
      const bytes = (j: number, tj: number) => {
        const values = substitutions(j, tj);
        let total = base;
        for (const [k, mark] of marks) total += counts.get(k)! * (Buffer.byteLength(values.get(k)!) - Buffer.byteLength(mark));
        return total;
      };
      entry = { render, bytes };
      cache.set(kind.name, entry);
    }
    return entry;
  };
  const timeOf = (i: number) => START + Math.floor(rand(i) * 30 * DAY);
  return Object.assign((i: number) => forKind(i).render(i, timeOf(i)), { bytes: (i: number) => forKind(i).bytes(i, timeOf(i)) });
}

/** The values generate() varies for event i at time t, by name, in their JSON (row) spelling. */
function substitutions(i: number, t: number): Map<string, string> {
  return new Map([
    ["sesId", `0100019a${i.toString(16).padStart(8, "0")}-${(i * 2654435761).toString(16).slice(-8)}-000000`],
    ["smsId", `${i.toString(16).padStart(8, "0")}-60c0-4430-9b2b-658bdexample`],
    ["user", recipient(i)],
    ["phone", `+1425555${String(i % 10000).padStart(4, "0")}`],
    ["subject", `Your statement ${i % 97} — relevé`],
    ["campaign", `campaign-${i % 40}`],
    ["row", `row-${i}`],
    ["sent", String(Date.parse(iso(t - 1000)))],
    ["t", String(t)],
    ["request", String(t - 300)],
    ["arrival", String(t + 500)],
  ]);
}

function kindOf(i: number): { name: string; make: (i: number, t: number) => unknown } {
  let pick = rand(i + 7_919) * TOTAL_WEIGHT;
  for (const [index, [weight, make]] of MIX.entries()) {
    pick -= weight;
    if (pick < 0) return { name: String(index), make };
  }
  return { name: "0", make: MIX[0][1] };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
