import { expect } from "chai";
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { recipientIdFor } from "../../functions/shared/archive/recipient";
import { S3ErasureStore } from "../../functions/message-archiver/adapters";
import { loadEraserConfig } from "../../functions/message-archiver/config";
import { runEraseCli } from "../../functions/message-archiver/erase-cli";
import { eraseRecipient, erasurePrefixes } from "../../functions/message-archiver/erasure";
import { SimulatedBucket } from "./message-archiver-fakes";
import { recordingObservability } from "./recording-observability";
import { fakeContext, withEnv } from "./sms-test-helpers";

const BUCKET = "archive-bucket";
const NOW = new Date("2026-03-02T12:00:00.000Z");
const JANE = recipientIdFor("email", "jane@example.com");
const JANE_PHONE = recipientIdFor("phone", "+14155550123");
const OTHER = recipientIdFor("email", "other@example.com");

describe("message archive erasure", () => {
  const s3 = mockClient(S3Client);
  after(() => s3.restore());
  let bucket: SimulatedBucket;
  let store: S3ErasureStore;

  beforeEach(() => {
    s3.reset();
    bucket = new SimulatedBucket(BUCKET, () => NOW).attach(s3);
    store = new S3ErasureStore(new S3Client({}));
    // Jane: an email archive with two versions and a delete marker, an SMS record, a legacy endpoint archive.
    bucket.addVersion(`archive/${JANE}/a.eml`);
    bucket.addVersion(`archive/${JANE}/a.eml`);
    bucket.addVersion(`archive/${JANE}/a.eml`, { deleteMarker: true });
    bucket.addVersion(`archive/${JANE_PHONE}/b.json`);
    bucket.addVersion("archive/endpoint-1/2026/03/02/10/c.eml");
    // Not Jane's: another person, an endpoint id that extends Jane's endpoint id, and the raw event stream.
    bucket.addVersion(`archive/${OTHER}/d.eml`);
    bucket.addVersion("archive/endpoint-10/2026/03/02/10/e.eml");
    bucket.addVersion("events/2026/03/02/10/stream.gz");
  });

  const request = { emails: ["Jane@Example.com"], phones: ["+1 415 555 0123"], endpointIds: ["endpoint-1"] };

  it("deletes every version and delete marker under the person's prefixes, and nothing else", async () => {
    bucket.pageSize = 2;
    const report = await eraseRecipient(store, BUCKET, "archive", request, NOW);
    expect(report.status).to.equal("ERASED");
    expect(report.prefixes).to.deep.equal([`archive/${JANE}/`, `archive/${JANE_PHONE}/`, "archive/endpoint-1/"]);
    expect([report.versions, report.deleteMarkers, report.deleted.length, report.remaining]).to.deep.equal([4, 1, 5, 0]);
    expect(report.deleted.filter((d) => d.deleteMarker).map((d) => d.key)).to.deep.equal([`archive/${JANE}/a.eml`]);
    expect(bucket.versions.map((v) => v.key)).to.deep.equal([`archive/${OTHER}/d.eml`, "archive/endpoint-10/2026/03/02/10/e.eml", "events/2026/03/02/10/stream.gz"]);
    // Deleted by version id, so no noncurrent version or marker is left.
    const deleteInput = s3.commandCalls(DeleteObjectsCommand)[0]!.args[0].input;
    expect(deleteInput.Delete!.Objects!.every((o) => o.VersionId !== undefined)).to.equal(true);
    expect(deleteInput.Delete!.Quiet).to.equal(false);
    // Listed page by page (2 per page here), for each prefix, before and after.
    expect(s3.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input.Prefix)).to.include.members([`archive/${JANE}/`, "archive/endpoint-1/"]);
  });

  it("refuses with a clear message, deleting nothing, when Object Lock retains a version", async () => {
    bucket.objectLock = { mode: "COMPLIANCE", days: 365 };
    const locked = bucket.addVersion(`archive/${JANE}/f.eml`, { retention: { Mode: "COMPLIANCE", RetainUntilDate: new Date("2027-03-02T00:00:00.000Z") } });
    bucket.addVersion(`archive/${JANE}/g.eml`, { retention: { Mode: "COMPLIANCE", RetainUntilDate: new Date("2026-01-01T00:00:00.000Z") } });
    const before = bucket.versions.length;
    const report = await eraseRecipient(store, BUCKET, "archive", request, NOW);
    expect(report.status).to.equal("REFUSED");
    expect(report.message).to.equal(
      "refused: 1 of 6 archived versions are protected by S3 Object Lock (COMPLIANCE mode, retained until 2027-03-02T00:00:00.000Z); nothing was deleted. Erase after the retention date, or have an authorized person lift the hold or bypass governance retention.",
    );
    expect(report.locked).to.deep.equal([{ key: locked.key, versionId: locked.versionId, mode: "COMPLIANCE", retainUntil: "2027-03-02T00:00:00.000Z", legalHold: false }]);
    expect(bucket.versions).to.have.length(before);
    expect(s3.commandCalls(DeleteObjectsCommand)).to.have.length(0);
  });

  it("refuses under a legal hold, and erases once retention has passed", async () => {
    bucket.objectLock = { mode: "GOVERNANCE", days: 30 };
    const held = bucket.addVersion(`archive/${JANE}/h.eml`, { legalHold: true });
    const refused = await eraseRecipient(store, BUCKET, "archive", request, NOW);
    expect(refused.status).to.equal("REFUSED");
    expect(refused.message).to.match(/or a legal hold; nothing was deleted/);
    held.legalHold = false;
    held.retention = { Mode: "GOVERNANCE", RetainUntilDate: new Date("2026-03-01T00:00:00.000Z") };
    const erased = await eraseRecipient(store, BUCKET, "archive", request, NOW);
    expect(erased.status).to.equal("ERASED");
    expect(erased.deleted).to.have.length(6);
  });

  it("reports INCOMPLETE when S3 refuses some deletions, naming them", async () => {
    bucket.addVersion(`archive/${JANE}/i.eml`, { legalHold: true }); // Lock not enabled on the bucket: only DeleteObjects notices.
    const report = await eraseRecipient(store, BUCKET, "archive", request, NOW);
    expect(report.status).to.equal("INCOMPLETE");
    expect(report.errors.map((e) => [e.key, e.code])).to.deep.equal([[`archive/${JANE}/i.eml`, "AccessDenied"]]);
    expect(report.remaining).to.equal(1);
  });

  it("lists without deleting on a dry run, and says when nothing is archived", async () => {
    const dry = await eraseRecipient(store, BUCKET, "archive", { ...request, dryRun: true }, NOW);
    expect([dry.status, dry.deleted.length]).to.deep.equal(["DRY_RUN", 5]);
    expect(s3.commandCalls(DeleteObjectsCommand)).to.have.length(0);
    const none = await eraseRecipient(store, BUCKET, "archive", { emails: ["nobody@example.com"] }, NOW);
    expect(none.status).to.equal("NOTHING_FOUND");
  });

  it("validates the identifiers it is given", () => {
    expect(() => erasurePrefixes("archive", {})).to.throw("name the person: at least one of emails, phones, endpointIds, recipientIds");
    expect(() => erasurePrefixes("archive", { recipientIds: ["abc"] })).to.throw('recipientIds: "abc" is not a recipient id');
    expect(() => erasurePrefixes("archive", { phones: ["555"] })).to.throw("not an E.164 phone number");
    expect(erasurePrefixes("archive", { recipientIds: [JANE], emails: ["jane@example.com"] })).to.deep.equal([`archive/${JANE}/`]);
  });

  it("runs as a Lambda: the payload names the person, the result is the report, refusals are counted", async () => {
    const mod = await withEnv({ BUCKET_NAME: BUCKET, ARCHIVE_PREFIX: "archive", POWERTOOLS_LOG_LEVEL: "SILENT" }, () => import("../../functions/message-archiver/erase.js"));
    const counts: Record<string, number> = {};
    const logs: Record<string, unknown>[] = [];
    const observability = recordingObservability(
      { addContext: () => undefined, info: (_m, a) => void logs.push(a), warn: () => undefined, error: (_m, a) => void logs.push(a) },
      (name, _d, value) => void (counts[name] = (counts[name] ?? 0) + value),
    );
    const handler = mod.createEraserHandler(loadEraserConfig({ BUCKET_NAME: BUCKET }), { ...mod.createEraserPorts(loadEraserConfig({ BUCKET_NAME: BUCKET })), clock: () => NOW }, observability);
    const report = await handler({ emails: ["jane@example.com"] }, fakeContext());
    expect([report.status, report.deleted.length]).to.deep.equal(["ERASED", 3]);
    expect(counts).to.include({ VersionsDeleted: 2, DeleteMarkersDeleted: 1, ErasureRefused: 0, ErasureIncomplete: 0 });
    // Logged by pseudonymous prefix, never by address.
    expect(JSON.stringify(logs)).to.not.include("jane@");
    const bad = await handler({ email: "jane@example.com" }, fakeContext()).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(bad).to.equal('invalid erasure request: payload: Unrecognized key: "email"');
  });

  it("offers operators a CLI: the person's recipient id, and an erasure with exit codes", async () => {
    const lines: string[] = [];
    expect(await runEraseCli(["--id-for", "--email", "Jane@example.com"], {}, { print: (l) => lines.push(l) })).to.equal(0);
    expect(lines).to.deep.equal([`${JANE}\temail`]);
    lines.length = 0;
    bucket.objectLock = { mode: "GOVERNANCE", days: 30 };
    bucket.addVersion(`archive/${JANE}/z.eml`, { legalHold: true });
    expect(await runEraseCli(["--email", "jane@example.com"], { ARCHIVE_BUCKET: BUCKET }, { store, print: (l) => lines.push(l) })).to.equal(2);
    expect(JSON.parse(lines[0]!)).to.include({ status: "REFUSED", bucket: BUCKET });
    await runEraseCli(["--email", "jane@example.com"], {}, { store, print: () => undefined }).then(
      () => expect.fail("expected an error"),
      (e: Error) => expect(e.message).to.equal("--bucket (or ARCHIVE_BUCKET) is required"),
    );
  });
});
