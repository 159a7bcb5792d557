import { expect } from "chai";
import { hourFolders, legacyArchiveKey, objectIdFor, recipientPrefix, sendTimeArchiveKey } from "../../functions/shared/archive/layout";
import { endpointIdFromSegment, endpointSegment, isAddressRecipientId, normalizePhone, recipientIdFor } from "../../functions/shared/archive/recipient";
import { legacyKey, legacyObjectId } from "../../functions/message-archiver/archive-message";
import { SendEventSchema } from "../../functions/message-archiver/pinpoint-event";
import seedSqs from "../fixtures/message-archiver/seed-archiver-sqs-event.json";
import firehose from "../fixtures/message-archiver/firehose-transformation-event.json";

const decode = (data: string) => JSON.parse(Buffer.from(data, "base64").toString("utf8")) as unknown;

describe("message archive key layout", () => {
  it("puts the seed's queuer test case under archive/test_endpoint_id/2020/06/12/21/ (UTC hour of event_timestamp)", () => {
    const event = SendEventSchema.parse(decode(firehose.records[0]!.data));
    expect(event.event_timestamp).to.equal(1591996342301);
    const key = legacyKey("archive", event);
    expect(key).to.match(/^archive\/test_endpoint_id\/2020\/06\/12\/21\/[0-9a-f]{32}\.eml$/);
  });

  it("puts the seed archiver's event where the seed stamped it: archive/updatemesms3/2020/06/12/21/", () => {
    const event = SendEventSchema.parse(JSON.parse(seedSqs.Records[0]!.body));
    expect(legacyKey("archive", event).startsWith("archive/updatemesms3/2020/06/12/21/")).to.equal(true);
  });

  it("derives the object name from the event, so every delivery of it lands on the same key", () => {
    const event = SendEventSchema.parse(JSON.parse(seedSqs.Records[0]!.body));
    const again = SendEventSchema.parse(JSON.parse(seedSqs.Records[0]!.body));
    expect(legacyKey("archive", again)).to.equal(legacyKey("archive", event));
    const otherTreatment = SendEventSchema.parse({ ...event, attributes: { ...event.attributes, treatment_id: "1" } });
    expect(legacyObjectId(otherTreatment)).to.not.equal(legacyObjectId(event));
  });

  it("formats hour folders in UTC with zero padding", () => {
    expect(hourFolders(Date.UTC(2026, 0, 2, 3, 59, 59))).to.equal("2026/01/02/03");
    expect(hourFolders(Date.UTC(2025, 11, 31, 23, 0, 0))).to.equal("2025/12/31/23");
    expect(() => hourFolders(Number.NaN)).to.throw("invalid timestamp NaN");
  });

  it("keeps the seed's endpoint ids as they are and escapes everything else, reversibly", () => {
    const cases: [string, string][] = [
      ["test_endpoint_id", "test_endpoint_id"],
      ["updatemesms3", "updatemesms3"],
      ["a/b", "a!2Fb"],
      ["100%#?", "100!25!23!3F"],
      ["..", "!2E."],
      ["Zoë", "Zo!C3!AB"],
      ["!r" + "0".repeat(40), "!21r" + "0".repeat(40)],
    ];
    for (const [id, segment] of cases) {
      expect(endpointSegment(id), id).to.equal(segment);
      expect(endpointIdFromSegment(segment), segment).to.equal(id);
    }
    expect(() => endpointSegment("")).to.throw("an endpoint id must not be empty");
  });

  it("maps a person's address to one recipient id, whatever its case or phone formatting", () => {
    const id = recipientIdFor("email", "Jane.Doe@Example.com");
    expect(id).to.match(/^!r[0-9a-f]{40}$/);
    expect(recipientIdFor("email", " jane.doe@example.com ")).to.equal(id);
    expect(recipientIdFor("phone", "+1 (415) 555-0123")).to.equal(recipientIdFor("phone", "+14155550123"));
    expect(recipientIdFor("phone", "+14155550123")).to.not.equal(recipientIdFor("email", "+14155550123@x.y"));
    expect(isAddressRecipientId(id)).to.equal(true);
    expect(isAddressRecipientId(endpointSegment(id))).to.equal(false);
    expect(() => normalizePhone("4155550123")).to.throw("not an E.164 phone number");
  });

  it("builds send-time keys under the recipient prefix, and prefixes that never match a longer id", () => {
    const objectId = objectIdFor(["sms", "row-1"]);
    expect(objectId).to.match(/^[0-9a-f]{32}$/);
    expect(sendTimeArchiveKey("archive", "!rabc", objectId, "json")).to.equal(`archive/!rabc/${objectId}.json`);
    expect(recipientPrefix("archive", "abc")).to.equal("archive/abc/");
    expect(legacyArchiveKey("a/b", "e", Date.UTC(2020, 5, 12, 21), "x")).to.equal("a/b/e/2020/06/12/21/x.eml");
  });
});
