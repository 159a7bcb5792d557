/**
 * Benchmark for #3's validation stage (run with `npm run bench:import`). Not a test: it prints numbers.
 *
 * The real code path (validate-file.ts: streaming csv-parse, row checks, the seed's mapping,
 * PhoneValidationCache with bounded concurrency and throttle retries, the Customer Profiles file
 * and the follow-up file) over a CSV generated on the fly as a stream (never held in memory). The
 * outputs go to writers that count bytes. PhoneNumberValidate is simulated: each call takes
 * PNV_LATENCY_MS, and the API refuses calls above PNV_RATE per second (TooManyRequestsException),
 * which the cache retries with backoff.
 *
 * Each number appears in REPEAT rows, written in different punctuation ("(206) 555-0100",
 * "206-555-0100", "206.555.0100", "+1 206 555 0100"): every variant must cost one call. About one
 * row in ten is an email row.
 *
 * Each size runs in its own child process, so one run's RSS high-water mark does not hide the
 * other's. Reports rows/second, peak RSS and heap per size, the RSS ratio (target ≤ 1.2), and
 * PhoneNumberValidate calls ÷ distinct numbers (target 1.0). Exits non-zero when a target is missed.
 *
 * Options (environment): BENCH_SIZES="100000,400000", REPEAT=4, PNV_LATENCY_MS=2, PNV_RATE=3000,
 * CONCURRENCY=32.
 */
import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import type { ObjectWriter } from "../functions/shared/files/s3-multipart-writer";
import type { PhoneValidationFields } from "../functions/s3-triggered-import/contacts";
import { PhoneValidationCache, type PhoneNumberValidatePort } from "../functions/s3-triggered-import/phone-validation";
import { validateFile } from "../functions/s3-triggered-import/validate-file";

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const REPEAT = num("REPEAT", 4);
const LATENCY_MS = num("PNV_LATENCY_MS", 2);
const RATE = num("PNV_RATE", 3000);
const CONCURRENCY = num("CONCURRENCY", 32);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

/** The CSV, generated row by row as the stream is read. */
function generatedCsv(rows: number): Readable {
  const distinct = Math.ceil(rows / REPEAT);
  let row = 0;
  return new Readable({
    read() {
      let chunk = row === 0 ? "ChannelType,Address,Id,FirstName,LastName,Tier\n" : "";
      for (let i = 0; i < 2000 && row < rows; i++, row++) {
        if (row % 10 === 9) {
          chunk += `EMAIL,user${row}@example.com,e-${row},Ann,Lee,gold\n`;
          continue;
        }
        // Rows n, n+distinct, n+2·distinct… share a number, each time written differently.
        const n = row % distinct;
        const line = String(5_550_000 + n).padStart(7, "0");
        const [area, a, b] = [String(200 + (n % 700)), line.slice(0, 3), line.slice(3)];
        const variants = [`(${area}) ${a}-${b}`, `${area}-${a}-${b}`, `${area}.${a}.${b}`, `+1 ${area} ${a} ${b}`];
        chunk += `SMS,${variants[Math.floor(row / distinct) % variants.length]},e-${row},John,Smith,silver\n`;
      }
      this.push(chunk === "" ? null : chunk);
    },
  });
}

/** PhoneNumberValidate with a latency and a per-second limit. */
class SimulatedPhoneNumberValidate implements PhoneNumberValidatePort {
  calls = 0;
  throttled = 0;
  private windowStart = Date.now();
  private inWindow = 0;

  async validate(phoneNumber: string): Promise<PhoneValidationFields> {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (++this.inWindow > RATE) {
      this.throttled++;
      throw Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });
    }
    this.calls++;
    await new Promise((resolve) => setTimeout(resolve, LATENCY_MS));
    return { CleansedPhoneNumberE164: phoneNumber, CountryCodeIso2: "US", PhoneType: "MOBILE", Carrier: "Carrier", Timezone: "America/New_York", Country: "United States" };
  }
}

class CountingWriter implements ObjectWriter {
  bytes = 0;
  async write(text: string) {
    this.bytes += Buffer.byteLength(text);
  }
  async close() {
    return this.bytes;
  }
  async abort() {}
}

interface ChildResult {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssMb: number;
  peakHeapMb: number;
  distinctNumbers: number;
  apiCalls: number;
  cacheCalls: number;
  throttled: number;
  imported: number;
  outputMb: number;
}

async function runOne(rows: number): Promise<ChildResult> {
  // Then a number n is in SMS rows exactly when n % 10 ≠ 9 (its rows share n's last digit), so the distinct count is exact.
  if ((rows / REPEAT) % 10 !== 0) throw new Error("choose sizes so that rows ÷ REPEAT is a multiple of 10");
  const api = new SimulatedPhoneNumberValidate();
  const phones = new PhoneValidationCache(api, CONCURRENCY, { retries: 8, baseDelayMs: 20, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), random: Math.random });
  const writers: CountingWriter[] = [];
  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  const timer = setInterval(sample, 25);
  const started = process.hrtime.bigint();
  const summary = await validateFile(
    { bucket: "drop", key: "import/bench.csv", executionName: "import-bench" },
    {
      open: async () => generatedCsv(rows),
      writer: () => {
        const w = new CountingWriter();
        writers.push(w);
        return w;
      },
      phones,
    },
    {
      target: "customer-profiles",
      workBucket: "work",
      validatePhoneNumbers: true,
      assumeUs: true,
      followUpSms: { message: "Welcome", originationIdentity: "pool-1", messageType: "TRANSACTIONAL", header: ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2"] },
    },
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(timer);
  sample();
  return {
    rows,
    seconds,
    rowsPerSecond: Math.round(rows / seconds),
    peakRssMb: Number(mb(peakRss)),
    peakHeapMb: Number(mb(peakHeap)),
    distinctNumbers: Math.ceil(rows / REPEAT) - Math.floor(Math.ceil(rows / REPEAT) / 10),
    apiCalls: api.calls,
    cacheCalls: summary.phoneValidation.calls,
    throttled: api.throttled,
    imported: summary.rows.imported,
    outputMb: Number(mb(writers.reduce((s, w) => s + w.bytes, 0))),
  };
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") {
    process.stdout.write(JSON.stringify(await runOne(Number(process.argv[3]))));
    return;
  }
  const sizes = (process.env.BENCH_SIZES ?? "100000,400000").split(",").map(Number);
  console.log(`#3 validation: PhoneNumberValidate simulated at ${LATENCY_MS} ms/call, ${RATE} calls/s, ${CONCURRENCY} in flight; each number in ${REPEAT} rows`);
  const results: ChildResult[] = [];
  for (const size of sizes) {
    const out = execFileSync(process.execPath, [...process.execArgv, __filename, "--child", String(size)], { encoding: "utf8", env: process.env, maxBuffer: 1 << 20 });
    const r = JSON.parse(out) as ChildResult;
    results.push(r);
    console.log(
      `  ${r.rows.toLocaleString("en")} rows: ${r.rowsPerSecond.toLocaleString("en")} rows/s (${r.seconds.toFixed(1)} s), peak RSS ${r.peakRssMb} MB, peak heap ${r.peakHeapMb} MB, ` +
        `output ${r.outputMb} MB, PhoneNumberValidate calls ${r.apiCalls} ÷ distinct numbers ${r.distinctNumbers} = ${(r.apiCalls / r.distinctNumbers).toFixed(3)} ` +
        `(throttled ${r.throttled}, retried), rows imported ${r.imported}`,
    );
  }
  const ratio = results.at(-1)!.peakRssMb / results[0].peakRssMb;
  console.log(`  peak RSS ratio (largest ÷ smallest file, ${sizes.at(-1)! / sizes[0]}× the rows): ${ratio.toFixed(2)} (target ≤ 1.2)`);
  const callRatios = results.map((r) => r.apiCalls / r.distinctNumbers);
  const missed = [
    ...(ratio > 1.2 ? [`RSS ratio ${ratio.toFixed(2)} > 1.2`] : []),
    ...callRatios.filter((c) => Math.abs(c - 1) > 1e-9).map((c) => `calls ÷ distinct numbers ${c.toFixed(3)} ≠ 1.0`),
    ...results.filter((r) => r.imported !== r.rows).map((r) => `${r.rows - r.imported} rows not imported`),
  ];
  if (missed.length > 0) {
    console.error(`Targets missed: ${missed.join("; ")}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
