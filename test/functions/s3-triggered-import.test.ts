/**
 * #3's handlers: the validation stage (seed sample, JSON lines, bad rows, throttling), the starter
 * (URL-encoded keys, duplicates) and the Customer Profiles upload, with the exact SDK inputs.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import { expect } from "chai";
import { CustomerProfilesClient, GetUploadJobPathCommand } from "@aws-sdk/client-customer-profiles";
import { PhoneNumberValidateCommand, PinpointClient } from "@aws-sdk/client-pinpoint";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { sdkStreamMixin } from "@smithy/util-stream";
import { mockClient } from "aws-sdk-client-mock";
import { S3MultipartWriter, type ObjectWriter } from "../../functions/shared/files/s3-multipart-writer";
import { PinpointPhoneValidator, uploadHeaders } from "../../functions/s3-triggered-import/adapters";
import { loadStarterConfig, loadUploaderConfig, loadValidatorConfig } from "../../functions/s3-triggered-import/config";
import { phoneValidationInput } from "../../functions/s3-triggered-import/contacts";
import { executionName } from "../../functions/s3-triggered-import/execution-name";
import { PhoneValidationCache } from "../../functions/s3-triggered-import/phone-validation";
import { validateFile, type ValidateSettings } from "../../functions/s3-triggered-import/validate-file";
import { recordingObservability } from "./recording-observability";

const FIXTURES = path.join(__dirname, "..", "fixtures", "import");
const fixture = (name: string) => fs.readFileSync(path.join(FIXTURES, name), "utf8");
const EXECUTION = "import-0123456789abcdef0123456789abcdef01234567";
const NO_WAIT = { retries: 6, baseDelayMs: 1, sleep: async () => undefined, random: () => 0 };
const SMS_HEADER = ["sms_number", "message", "external_campaign_id", "short_code", "message_type", "id_1", "id_2", "channel"];

/** PhoneNumberValidate answers for the seed sample's numbers, keyed by the request. */
const PNV: Record<string, Record<string, unknown>> = {
  "14256791901": { CleansedPhoneNumberE164: "+14256791901", CountryCodeIso2: "US", Country: "United States", City: "Seattle", Carrier: "T-Mobile", PhoneType: "MOBILE", PhoneTypeCode: 0, Timezone: "America/Los_Angeles", ZipCode: "98101", OriginalPhoneNumber: "14256791901" },
  "+12025550191": { CleansedPhoneNumberE164: "+12025550191", CountryCodeIso2: "US", Country: "United States", City: "Washington", Carrier: "Verizon", PhoneType: "LANDLINE", PhoneTypeCode: 1, Timezone: "America/New_York", ZipCode: "20001", OriginalPhoneNumber: "+12025550191" },
  "+16055550198": { CleansedPhoneNumberE164: "+16055550198", CountryCodeIso2: "US", Country: "United States", City: "Sioux Falls", Carrier: "AT&T", PhoneType: "MOBILE", PhoneTypeCode: 0, Timezone: "America/Chicago", ZipCode: "57101", OriginalPhoneNumber: "+16055550198" },
  "+351282435050": { CleansedPhoneNumberE164: "+351282435050", CountryCodeIso2: "PT", Country: "Portugal", Carrier: "MEO", PhoneType: "LANDLINE", PhoneTypeCode: 1, Timezone: "Europe/Lisbon", OriginalPhoneNumber: "+351282435050" },
  "+442079460958": { CleansedPhoneNumberE164: "+442079460958", CountryCodeIso2: "GB", Country: "United Kingdom", City: "London", PhoneType: "LANDLINE", PhoneTypeCode: 1, Timezone: "Europe/London", OriginalPhoneNumber: "+442079460958" },
  "999": { CountryCodeIso2: "UNKNOWN", PhoneType: "INVALID", PhoneTypeCode: 3, OriginalPhoneNumber: "999" },
};

class MemoryWriter implements ObjectWriter {
  text = "";
  closed = false;
  aborted = false;
  constructor(readonly key: string) {}
  async write(text: string) {
    this.text += text;
  }
  async close() {
    this.closed = true;
    return Buffer.byteLength(this.text);
  }
  async abort() {
    this.aborted = true;
  }
}

function memoryDeps(body: string | string[], pinpoint: PinpointClient, concurrency = 4) {
  const writers = new Map<string, MemoryWriter>();
  const phones = new PhoneValidationCache(new PinpointPhoneValidator(pinpoint), concurrency, NO_WAIT);
  return {
    writers,
    phones,
    deps: {
      open: async () => Readable.from(typeof body === "string" ? [body] : body),
      writer: (key: string) => {
        const w = new MemoryWriter(key);
        writers.set(key, w);
        return w;
      },
      phones,
    },
  };
}

function pinpointMock() {
  const pinpoint = mockClient(PinpointClient);
  pinpoint.on(PhoneNumberValidateCommand).callsFake((input: { NumberValidateRequest: { PhoneNumber: string } }) => {
    const response = PNV[input.NumberValidateRequest.PhoneNumber];
    if (response === undefined) throw Object.assign(new Error("bad number"), { name: "BadRequestException", $metadata: { httpStatusCode: 400 } });
    return { NumberValidateResponse: response };
  });
  return pinpoint;
}

const settings = (overrides: Partial<ValidateSettings> = {}): ValidateSettings => ({
  target: "customer-profiles",
  workBucket: "work",
  validatePhoneNumbers: true,
  assumeUs: true,
  ...overrides,
});
const INPUT = { bucket: "contacts-drop", key: "import/sample_data_S3_triggered_import.csv", executionName: EXECUTION };
const csvRows = (text: string) => text.trimEnd().split("\r\n");

describe("s3-triggered-import validation", () => {
  it("applies the seed's 'assume US' rule to the digits only, and keys punctuation variants of one number alike", () => {
    expect(phoneValidationInput("(202) 555-0191", true)).to.equal("+12025550191");
    expect(phoneValidationInput("202.555.0191", true)).to.equal("+12025550191");
    expect(phoneValidationInput("(202) 555-0191", false)).to.equal("2025550191");
    expect(phoneValidationInput("14256791901", true)).to.equal("14256791901");
    expect(phoneValidationInput("(+351) 282 43 50 50", true)).to.equal("+351282435050");
  });

  it("the seed's sample file: each distinct number validated once, the seed's mapping applied, standard columns kept, unknown columns as attributes", async () => {
    const pinpoint = pinpointMock();
    const { deps, writers } = memoryDeps(fixture("sample_data_S3_triggered_import.csv"), new PinpointClient({}));
    const summary = await validateFile(INPUT, deps, settings());
    expect(pinpoint.commandCalls(PhoneNumberValidateCommand).map((c) => c.args[0].input)).to.have.deep.members([
      { NumberValidateRequest: { PhoneNumber: "14256791901" } },
      { NumberValidateRequest: { PhoneNumber: "+12025550191" } },
      { NumberValidateRequest: { PhoneNumber: "+16055550198" } },
      { NumberValidateRequest: { PhoneNumber: "+351282435050" } },
    ]);
    expect(summary.rows).to.deep.equal({ read: 5, imported: 5, invalid: 0, invalidNumbers: 0, skipped: 0, followUp: 0 });
    expect(summary.phoneValidation).to.deep.equal({ uniqueNumbers: 4, calls: 4, throttled: 0 });
    const lines = csvRows(writers.get(`validated/${EXECUTION}.csv`)!.text);
    expect(lines[0]).to.equal(
      "ChannelType,Address,Attributes.FirstName,Attributes.LastName,Attributes.Timezone,OptOut,Location.Country,Attributes.Endpoint," +
        "Attributes.PNV_CleansedPhoneNumberE164,Attributes.PNV_CountryCodeIso2,Attributes.PNV_OriginalPhoneNumber,Attributes.PNV_Timezone,Attributes.PNV_ZipCode," +
        "Attributes.PNV_Carrier,Attributes.PNV_PhoneTypeCode,Attributes.PNV_PhoneType,Attributes.PNV_City,Attributes.PNV_Country,PhoneNumber,EmailAddress",
    );
    expect(lines.slice(1)).to.deep.equal([
      "SMS,+14256791901,John,Smith,CST,NONE,US,VALID,+14256791901,US,14256791901,America/Los_Angeles,98101,T-Mobile,0,MOBILE,Seattle,United States,+14256791901,",
      "SMS,+12025550191,Ivan,Popov,PST,NONE,US,VALID,+12025550191,US,+12025550191,America/New_York,20001,Verizon,1,LANDLINE,Washington,United States,+12025550191,",
      "SMS,+16055550198,Mary,Loweless,EST,NONE,US,VALID,+16055550198,US,+16055550198,America/Chicago,57101,AT&T,0,MOBILE,Sioux Falls,United States,+16055550198,",
      "SMS,+14256791901,Aaron,Slew,CST,NONE,US,VALID,+14256791901,US,14256791901,America/Los_Angeles,98101,T-Mobile,0,MOBILE,Seattle,United States,+14256791901,",
      "SMS,+351282435050,Tim,Doe,IST,NONE,PT,VALID,+351282435050,PT,+351282435050,Europe/Lisbon,UNKNOWN,MEO,1,LANDLINE,UNKNOWN,Portugal,+351282435050,",
    ]);
    // The file's own Timezone (CST…) is kept; the validator's goes to Attributes.PNV_Timezone.
    expect(summary.upload!.uniqueKey).to.equal("Address");
    expect(summary.upload!.fields).to.deep.include({
      Address: { Source: "_source.Address", Target: "_profile.Attributes.Address", ContentType: "STRING" },
      "Attributes.FirstName": { Source: "_source.Attributes.FirstName", Target: "_profile.FirstName", ContentType: "NAME" },
      "Attributes.LastName": { Source: "_source.Attributes.LastName", Target: "_profile.LastName", ContentType: "NAME" },
      "Attributes.Timezone": { Source: "_source.Attributes.Timezone", Target: "_profile.Attributes.Attributes_Timezone", ContentType: "STRING" },
      "Location.Country": { Source: "_source.Location.Country", Target: "_profile.Address.Country", ContentType: "STRING" },
      PhoneNumber: { Source: "_source.PhoneNumber", Target: "_profile.PhoneNumber", ContentType: "PHONE_NUMBER" },
      EmailAddress: { Source: "_source.EmailAddress", Target: "_profile.EmailAddress", ContentType: "EMAIL_ADDRESS" },
    });
    expect(Object.keys(summary.upload!.fields)).to.have.length(20);
    expect(summary.files).to.deep.equal({
      validated: { bucket: "work", key: `validated/${EXECUTION}.csv`, s3Url: `s3://work/validated/${EXECUTION}.csv` },
      errorReport: null,
      followUp: null,
    });
    pinpoint.restore();
  });

  it("the follow-up send file: #9's header, one row per distinct valid SMS number, the configured message and identity", async () => {
    const pinpoint = pinpointMock();
    const { deps, writers } = memoryDeps(fixture("sample_data_S3_triggered_import.csv"), new PinpointClient({}));
    const summary = await validateFile(INPUT, deps, {
      ...settings(),
      followUpSms: { message: "Welcome, reply STOP to opt out", originationIdentity: "pool-0123456789abcdef0123456789abcdef", messageType: "TRANSACTIONAL", header: ["phone", ...SMS_HEADER.slice(1)] },
    });
    expect(summary.rows.followUp).to.equal(4);
    expect(csvRows(writers.get(`follow-up/${EXECUTION}.csv`)!.text)).to.deep.equal([
      "phone,message,external_campaign_id,short_code,message_type,id_1,id_2,channel",
      `+14256791901,"Welcome, reply STOP to opt out",${EXECUTION},pool-0123456789abcdef0123456789abcdef,TRANSACTIONAL,,1,SMS`,
      `+12025550191,"Welcome, reply STOP to opt out",${EXECUTION},pool-0123456789abcdef0123456789abcdef,TRANSACTIONAL,,2,SMS`,
      `+16055550198,"Welcome, reply STOP to opt out",${EXECUTION},pool-0123456789abcdef0123456789abcdef,TRANSACTIONAL,,3,SMS`,
      `+351282435050,"Welcome, reply STOP to opt out",${EXECUTION},pool-0123456789abcdef0123456789abcdef,TRANSACTIONAL,,5,SMS`,
    ]);
    expect(summary.files.followUp).to.deep.equal({ bucket: "work", key: `follow-up/${EXECUTION}.csv`, s3Url: `s3://work/follow-up/${EXECUTION}.csv` });
    pinpoint.restore();
  });

  it("a JSON-lines file: nested objects flattened to Pinpoint's dotted columns, Id and User.UserId kept (no duplicate endpoints), email rows not validated", async () => {
    const pinpoint = pinpointMock();
    const { deps, writers } = memoryDeps(fixture("contacts.jsonl"), new PinpointClient({}));
    const summary = await validateFile({ ...INPUT, key: "import/contacts.jsonl" }, deps, settings({ target: "pinpoint" }));
    expect(summary.format).to.equal("JSON");
    expect(pinpoint.commandCalls(PhoneNumberValidateCommand).map((c) => c.args[0].input.NumberValidateRequest!.PhoneNumber)).to.have.members(["+12025550191", "+442079460958"]);
    const lines = csvRows(writers.get(`validated/${EXECUTION}.csv`)!.text);
    expect(lines[0]).to.equal(
      "ChannelType,Address,Id,User.UserId,User.UserAttributes.FirstName,Location.City,Attributes.Tier,Demographic.Timezone,OptOut,Location.Country,Attributes.Endpoint," +
        "Attributes.PNV_CleansedPhoneNumberE164,Attributes.PNV_CountryCodeIso2,Attributes.PNV_OriginalPhoneNumber,Attributes.PNV_Timezone,Attributes.PNV_ZipCode," +
        "Attributes.PNV_Carrier,Attributes.PNV_PhoneTypeCode,Attributes.PNV_PhoneType,Attributes.PNV_City,Attributes.PNV_Country",
    );
    expect(lines.slice(1)).to.deep.equal([
      "SMS,+12025550191,e-1,u-1,Ivan,Washington,,,NONE,US,VALID,+12025550191,US,+12025550191,America/New_York,20001,Verizon,1,LANDLINE,Washington,United States",
      "EMAIL,mary@example.com,e-2,u-2,,,gold,,,,,,,,,,,,,,",
      "SMS,+442079460958,e-3,,,,,Europe/London,NONE,GB,VALID,+442079460958,GB,+442079460958,Europe/London,UNKNOWN,UNKNOWN,1,LANDLINE,London,United Kingdom",
    ]);
    expect(summary.rows).to.deep.equal({ read: 3, imported: 3, invalid: 0, invalidNumbers: 0, skipped: 0, followUp: 0 });
    pinpoint.restore();
  });

  it("a file with bad rows: the exact error report; invalid numbers imported opted out, broken rows left out", async () => {
    const pinpoint = pinpointMock();
    const { deps, writers } = memoryDeps(fixture("bad-rows.csv"), new PinpointClient({}));
    const summary = await validateFile(INPUT, deps, settings({ target: "pinpoint" }));
    expect(csvRows(writers.get(`reports/${EXECUTION}.errors.csv`)!.text)).to.deep.equal([
      "row,column,reason",
      '2,ChannelType,"""FAX"" is not a channel type (SMS, VOICE, EMAIL, APNS, APNS_SANDBOX, APNS_VOIP, APNS_VOIP_SANDBOX, ADM, BAIDU, GCM, CUSTOM, IN_APP)"',
      "3,Address,is not an email address",
      "4,Address,is empty",
      "5,(row),\"expected 4 fields, found 3\"",
      "6,Address,is not a valid phone number (PhoneNumberValidate: PhoneType INVALID); imported with OptOut ALL",
    ]);
    expect(summary.rows).to.deep.equal({ read: 6, imported: 2, invalid: 4, invalidNumbers: 1, skipped: 0, followUp: 0 });
    expect(summary.invalidRows[0]).to.deep.equal({ row: 2, column: "ChannelType", reason: '"FAX" is not a channel type (SMS, VOICE, EMAIL, APNS, APNS_SANDBOX, APNS_VOIP, APNS_VOIP_SANDBOX, ADM, BAIDU, GCM, CUSTOM, IN_APP)' });
    const rows = csvRows(writers.get(`validated/${EXECUTION}.csv`)!.text).slice(1);
    expect(rows).to.have.length(2);
    // The seed's rule for an invalid number: original address, OptOut ALL, Endpoint INVALID, country XX.
    expect(rows[1].split(",").slice(0, 7)).to.deep.equal(["SMS", "999", "Zed", "e-6", "ALL", "XX", "INVALID"]);
    pinpoint.restore();
  });

  it("a bad header rejects the file: nothing imported, partial outputs aborted, the report says why", async () => {
    const pinpoint = pinpointMock();
    const { deps, writers } = memoryDeps("Name,Phone\nJohn,555\n", new PinpointClient({}));
    const summary = await validateFile(INPUT, deps, settings());
    expect(summary.rows.imported).to.equal(0);
    expect(summary.files.validated).to.equal(null);
    expect(csvRows(writers.get(`reports/${EXECUTION}.errors.csv`)!.text)).to.deep.equal([
      "row,column,reason",
      ',(file),"required column ""ChannelType"" is missing from the header; the file was not imported"',
      ',(file),"required column ""Address"" is missing from the header; the file was not imported"',
    ]);
    pinpoint.restore();
  });

  it("a CSV syntax error rejects the whole file, even after good rows", async () => {
    const pinpoint = pinpointMock();
    const { deps, writers } = memoryDeps(["ChannelType,Address\nSMS,+12025550191\n", 'SMS,"+1605 unterminated\n'], new PinpointClient({}));
    const summary = await validateFile(INPUT, deps, settings());
    expect(summary.rows.imported).to.equal(0);
    // Whether the header was read before the error depends on chunking; either way nothing is completed.
    expect(writers.get(`validated/${EXECUTION}.csv`)?.closed ?? false).to.equal(false);
    expect(summary.files.validated).to.equal(null);
    expect(summary.fileErrors).to.have.length(1);
    expect(summary.fileErrors[0]).to.match(/^CSV syntax error .*CSV_QUOTE_NOT_CLOSED/);
    pinpoint.restore();
  });

  it("ses-contact-list: only EMAIL rows, as emailAddress, unsubscribeAll and the attributes as JSON", async () => {
    const pinpoint = pinpointMock();
    const body = "ChannelType,Address,OptOut,FirstName\nEMAIL,ann@example.com,NONE,Ann\nSMS,+12025550191,,Bo\nEMAIL,cy@example.com,ALL,\"Cy, Jr\"\n";
    const { deps, writers } = memoryDeps(body, new PinpointClient({}));
    const summary = await validateFile(INPUT, deps, settings({ target: "ses-contact-list", validatePhoneNumbers: false }));
    expect(csvRows(writers.get(`validated/${EXECUTION}.csv`)!.text)).to.deep.equal([
      "emailAddress,unsubscribeAll,attributesData",
      'ann@example.com,false,"{""FirstName"":""Ann""}"',
      'cy@example.com,true,"{""FirstName"":""Cy, Jr""}"',
    ]);
    expect(summary.rows).to.deep.include({ imported: 2, skipped: 1 });
    expect(pinpoint.commandCalls(PhoneNumberValidateCommand)).to.have.length(0);
    pinpoint.restore();
  });

  it("a throttled PhoneNumberValidate is retried with backoff, and counted; throttling that outlasts the retries fails as ThrottlingException", async () => {
    const pinpoint = mockClient(PinpointClient);
    let throttles = 2;
    pinpoint.on(PhoneNumberValidateCommand).callsFake((input: { NumberValidateRequest: { PhoneNumber: string } }) => {
      if (throttles-- > 0) throw Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } });
      return { NumberValidateResponse: PNV[input.NumberValidateRequest.PhoneNumber] };
    });
    // maxAttempts 1: this layer's retries, not the SDK's, are under test.
    const { deps } = memoryDeps(fixture("sample_data_S3_triggered_import.csv"), new PinpointClient({ maxAttempts: 1 }), 1);
    const summary = await validateFile(INPUT, deps, settings());
    expect(summary.phoneValidation).to.deep.equal({ uniqueNumbers: 4, calls: 4, throttled: 2 });
    expect(summary.rows.imported).to.equal(5);

    pinpoint.reset();
    pinpoint.on(PhoneNumberValidateCommand).rejects(Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } }));
    const again = memoryDeps(fixture("sample_data_S3_triggered_import.csv"), new PinpointClient({ maxAttempts: 1 }), 1);
    const error = await validateFile(INPUT, again.deps, settings()).then(() => undefined, (e: Error) => e);
    expect(error?.name).to.equal("ThrottlingException");
    expect([...again.writers.values()].every((w) => w.aborted || !w.closed)).to.equal(true);
    pinpoint.restore();
  });

  it("the handler: validates the announced version (If-Match), writes through S3, publishes counts, never logs a number", async () => {
    const s3 = mockClient(S3Client);
    const pinpoint = pinpointMock();
    s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(Readable.from([fixture("sample_data_S3_triggered_import.csv")])) });
    s3.on(PutObjectCommand).resolves({});
    const logs: string[] = [];
    const counts: Record<string, number> = {};
    const observability = recordingObservability(
      { addContext: () => undefined, info: (m, a) => logs.push(`${m} ${JSON.stringify(a)}`), warn: (m, a) => logs.push(`${m} ${JSON.stringify(a)}`), error: (m, a) => logs.push(`${m} ${JSON.stringify(a)}`) },
      (name, _d, value) => (counts[name] = (counts[name] ?? 0) + value),
    );
    const { createValidatorHandler, createValidatorPorts } = await withEnv(VALIDATOR_ENV, () => import("../../functions/s3-triggered-import/validate.js"));
    const config = loadValidatorConfig(VALIDATOR_ENV);
    const handler = createValidatorHandler(config, { ...createValidatorPorts(config), retry: NO_WAIT }, observability);
    const summary = await handler({ bucket: "contacts-drop", key: "import/a b.csv", etag: "b1946ac9", versionId: "v1", executionName: EXECUTION });
    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).to.deep.equal({ Bucket: "contacts-drop", Key: "import/a b.csv", IfMatch: '"b1946ac9"', VersionId: "v1" });
    const put = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(put.map((p) => [p.Bucket, p.Key, p.ContentType])).to.deep.equal([["work", `validated/${EXECUTION}.csv`, "text/csv; charset=utf-8"]]);
    expect(summary.rows.imported).to.equal(5);
    expect(counts).to.deep.include({ RowsRead: 5, RowsImported: 5, RowsInvalid: 0, PhoneValidateCalls: 4, PhoneValidateThrottled: 0 });
    expect(logs.join("\n")).to.not.match(/555|4256791901|351282/);
    s3.restore();
    pinpoint.restore();
  });
});

const VALIDATOR_ENV = { TARGET: "customer-profiles", WORK_BUCKET: "work", VALIDATE_PHONE_NUMBERS: "true", ASSUME_US: "true", VALIDATION_CONCURRENCY: "4", FOLLOW_UP_SMS: "" };
const STARTER_ENV = { STATE_MACHINE_ARN: "arn:aws:states:us-east-1:123456789012:stateMachine:import", KEY_PREFIX: "import/" };
const UPLOADER_ENV = { DOMAIN_NAME: "contacts", WORK_BUCKET: "work" };

/** Imports a handler module with its environment set (each module loads its config at import). */
async function withEnv<T>(env: Record<string, string>, load: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    return await load();
  } finally {
    for (const key of Object.keys(env)) if (!(key in saved)) delete process.env[key];
  }
}

const silent = () => recordingObservability({ addContext: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }, () => undefined);

describe("s3-triggered-import starter", () => {
  const event = JSON.parse(fixture("object-created.json")) as { detail: { object: { key: string } } };
  const notFound = () => Object.assign(new Error("Not Found"), { name: "NotFound", $metadata: { httpStatusCode: 404 } });

  async function starter() {
    const { createStarterHandler, createStarterPorts } = await withEnv(STARTER_ENV, () => import("../../functions/s3-triggered-import/starter.js"));
    const config = loadStarterConfig(STARTER_ENV);
    return createStarterHandler(config, createStarterPorts(config), silent());
  }

  it("a URL-encoded key with spaces and non-ASCII characters: the delivered key is missing, the decoded one is imported", async () => {
    const s3 = mockClient(S3Client);
    const sfn = mockClient(SFNClient);
    s3.on(HeadObjectCommand, { Key: "import/night run/caf%C3%A9+list.csv" }).rejects(notFound());
    s3.on(HeadObjectCommand, { Key: "import/night run/café list.csv" }).resolves({ ETag: '"b1946ac92492d2347c6235b4d2611184"', VersionId: "v1" });
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:x" });
    const outcome = await (await starter())(event);
    const name = executionName("contacts-drop", "import/night run/café list.csv", "b1946ac92492d2347c6235b4d2611184");
    expect(outcome).to.deep.equal({ status: "started", executionName: name });
    expect(sfn.commandCalls(StartExecutionCommand)[0].args[0].input).to.deep.equal({
      stateMachineArn: STARTER_ENV.STATE_MACHINE_ARN,
      name,
      input: JSON.stringify({ bucket: "contacts-drop", key: "import/night run/café list.csv", etag: "b1946ac92492d2347c6235b4d2611184", versionId: "v1", size: 180 }),
    });
    s3.restore();
    sfn.restore();
  });

  it("a key delivered as written (not encoded) is imported as it is, even when it looks encoded", async () => {
    const s3 = mockClient(S3Client);
    const sfn = mockClient(SFNClient);
    s3.on(HeadObjectCommand, { Key: "import/night run/caf%C3%A9+list.csv" }).resolves({ ETag: '"b1946ac92492d2347c6235b4d2611184"' });
    sfn.on(StartExecutionCommand).resolves({ executionArn: "arn:x" });
    await (await starter())(event);
    expect(s3.commandCalls(HeadObjectCommand)).to.have.length(1);
    expect(JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!).key).to.equal("import/night run/caf%C3%A9+list.csv");
    s3.restore();
    sfn.restore();
  });

  it("a duplicate event is a success without a second import (ExecutionAlreadyExists), with the same name", async () => {
    const s3 = mockClient(S3Client);
    const sfn = mockClient(SFNClient);
    s3.on(HeadObjectCommand).resolves({ ETag: '"b1946ac92492d2347c6235b4d2611184"' });
    sfn.on(StartExecutionCommand).resolvesOnce({ executionArn: "arn:x" }).rejects(Object.assign(new Error("exists"), { name: "ExecutionAlreadyExists" }));
    const handler = await starter();
    const first = await handler(event);
    const second = await handler(event);
    expect(first.status).to.equal("started");
    expect(second).to.deep.equal({ status: "already-exists", executionName: (first as { executionName: string }).executionName });
    s3.restore();
    sfn.restore();
  });

  it("two files in the same second get different names; a deleted or overwritten object is skipped; a malformed event throws", async () => {
    expect(executionName("b", "import/a.csv", "e1")).to.not.equal(executionName("b", "import/b.csv", "e1"));
    expect(executionName("b", "import/a.csv", "e1")).to.match(/^import-[0-9a-f]{40}$/);
    const s3 = mockClient(S3Client);
    const sfn = mockClient(SFNClient);
    s3.on(HeadObjectCommand).rejects(notFound());
    const handler = await starter();
    expect(await handler(event)).to.deep.equal({ status: "skipped", reason: "missing" });
    s3.on(HeadObjectCommand).resolves({ ETag: '"a-newer-version"' });
    expect(await handler(event)).to.deep.equal({ status: "skipped", reason: "superseded" });
    expect(sfn.commandCalls(StartExecutionCommand)).to.have.length(0);
    const error = await handler({ source: "aws.s3" }).then(() => undefined, (e: Error) => e);
    expect(error?.message).to.equal("Not an S3 Object Created event");
    s3.restore();
    sfn.restore();
  });
});

describe("s3-triggered-import uploader", () => {
  it("GetUploadJobPath, then a PUT of the validated file with the SSE-C headers of its ClientToken", async () => {
    const profiles = mockClient(CustomerProfilesClient);
    const s3 = mockClient(S3Client);
    const token = Buffer.alloc(32, 7).toString("base64");
    profiles.on(GetUploadJobPathCommand).resolves({ Url: "https://upload.example/presigned", ClientToken: token });
    s3.on(GetObjectCommand).resolves({ Body: sdkStreamMixin(Readable.from(["ChannelType,Address\r\n"])), ContentLength: 21 });
    const puts: { url: string; length: number; headers: Record<string, string> }[] = [];
    const { createUploaderHandler, createUploaderPorts } = await withEnv(UPLOADER_ENV, () => import("../../functions/s3-triggered-import/upload.js"));
    const handler = createUploaderHandler(loadUploaderConfig(UPLOADER_ENV), { ...createUploaderPorts(), put: async (url, _b, length, headers) => void puts.push({ url, length, headers }) }, silent());
    const result = await handler({ jobId: "0123456789abcdef0123456789abcdef", bucket: "work", key: `validated/${EXECUTION}.csv` });
    expect(profiles.commandCalls(GetUploadJobPathCommand)[0].args[0].input).to.deep.equal({ DomainName: "contacts", JobId: "0123456789abcdef0123456789abcdef" });
    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).to.deep.equal({ Bucket: "work", Key: `validated/${EXECUTION}.csv` });
    expect(puts).to.deep.equal([{ url: "https://upload.example/presigned", length: 21, headers: uploadHeaders(token) }]);
    expect(uploadHeaders(token)).to.deep.equal({
      "x-amz-server-side-encryption-customer-algorithm": "AES256",
      "x-amz-server-side-encryption-customer-key": token,
      "x-amz-server-side-encryption-customer-key-MD5": "y4HAEFCYWuvAXWFTtA1Qpg==", // md5 of the 32 key bytes (computed independently)
    });
    expect(result).to.deep.equal({ jobId: "0123456789abcdef0123456789abcdef", bytes: 21 });
    profiles.restore();
    s3.restore();
  });

  it("an upload failure is thrown (the Task retries it, then the failure notice)", async () => {
    const profiles = mockClient(CustomerProfilesClient);
    profiles.on(GetUploadJobPathCommand).rejects(Object.assign(new Error("no such job"), { name: "ResourceNotFoundException", $metadata: { httpStatusCode: 404 } }));
    const { createUploaderHandler, createUploaderPorts } = await withEnv(UPLOADER_ENV, () => import("../../functions/s3-triggered-import/upload.js"));
    const handler = createUploaderHandler(loadUploaderConfig(UPLOADER_ENV), createUploaderPorts(), silent());
    const error = await handler({ jobId: "0123456789abcdef0123456789abcdef", bucket: "work", key: `validated/${EXECUTION}.csv` }).then(() => undefined, (e: Error) => e);
    expect(error?.name).to.equal("ResourceNotFoundException");
    profiles.restore();
  });
});

describe("S3MultipartWriter (functions/shared/files)", () => {
  it("a small object is one PutObject; a large one goes up in parts and is completed; a failure aborts the upload", async () => {
    const s3 = mockClient(S3Client);
    s3.on(PutObjectCommand).resolves({});
    const small = new S3MultipartWriter(new S3Client({}), { bucket: "work", key: "a.csv", contentType: "text/csv" }, 5 * 1024 * 1024);
    await small.write("a,b\r\n");
    expect(await small.close()).to.equal(5);
    expect(s3.commandCalls(PutObjectCommand)[0].args[0].input).to.deep.include({ Bucket: "work", Key: "a.csv", ContentType: "text/csv" });

    s3.reset();
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "u1" });
    s3.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"p${input.PartNumber}"` }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    const large = new S3MultipartWriter(new S3Client({}), { bucket: "work", key: "b.csv", contentType: "text/csv" }, 5 * 1024 * 1024);
    const line = "x".repeat(1024 * 1024);
    for (let i = 0; i < 11; i++) await large.write(line);
    expect(await large.close()).to.equal(11 * 1024 * 1024);
    expect(s3.commandCalls(UploadPartCommand).map((c) => [c.args[0].input.PartNumber, (c.args[0].input.Body as Buffer).length])).to.deep.equal([
      [1, 5 * 1024 * 1024],
      [2, 5 * 1024 * 1024],
      [3, 1024 * 1024],
    ]);
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0].args[0].input).to.deep.equal({
      Bucket: "work",
      Key: "b.csv",
      UploadId: "u1",
      MultipartUpload: { Parts: [{ ETag: '"p1"', PartNumber: 1 }, { ETag: '"p2"', PartNumber: 2 }, { ETag: '"p3"', PartNumber: 3 }] },
    });

    s3.reset();
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: "u2" });
    s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
    s3.on(AbortMultipartUploadCommand).resolves({});
    const aborted = new S3MultipartWriter(new S3Client({}), { bucket: "work", key: "c.csv", contentType: "text/csv" }, 5 * 1024 * 1024);
    for (let i = 0; i < 6; i++) await aborted.write(line);
    await aborted.abort();
    expect(s3.commandCalls(AbortMultipartUploadCommand)[0].args[0].input).to.deep.equal({ Bucket: "work", Key: "c.csv", UploadId: "u2" });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0);
    s3.restore();
  });
});
