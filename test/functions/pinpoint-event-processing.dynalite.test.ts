/**
 * Architecture #4 over a real DynamoDB engine (dynalite): the per-object loop with the shared
 * feedback service as #4's handler builds it (contact store + Powertools idempotency, tables
 * created from functions/shared/runtime/tables.ts). Covers what the SDK mocks cannot show: an object
 * processed again is recorded once, and so is a bounce that also reaches #1 through a shared
 * contact table (#1 and #4 each have their own idempotency table). SES is stubbed (no local
 * engine); ALL_OLD on a failed condition is emulated by `withAllOldOnConditionFailure`.
 */
import { DeleteItemCommand, GetItemCommand, ScanCommand } from "@aws-sdk/client-dynamodb";
import { PutSuppressedDestinationCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { processEventObject } from "../../functions/pinpoint-event-processing/object-processor";
import { loadProcessorConfig } from "../../functions/pinpoint-event-processing/config";
import { createIdempotentFeedbackService } from "../../functions/shared/email/feedback/idempotent-feedback";
import { parseSesFeedback } from "../../functions/shared/email/ses-events";
import { CONTACT_TABLE, IDEMPOTENCY_TABLE } from "../../functions/shared/runtime/tables";
import { startDynalite, withAllOldOnConditionFailure, type DynaliteEngine } from "../engines/dynalite";
import { notification } from "../fixtures/ses";

const OBJECT = readFileSync(join(__dirname, "..", "fixtures", "pinpoint-events", "stream-concatenated.json"));

async function* chunks(): AsyncGenerator<Uint8Array> {
  yield OBJECT;
}

/** The `_email.hardbounce` record of the fixture object, as SES itself notifies it to #1. */
function sameBounceAsSesNotification() {
  const doc = notification("bounce-permanent") as {
    mail: { messageId: string; destination: string[] };
    bounce: { feedbackId: string; bouncedRecipients: { emailAddress: string }[]; timestamp: string };
  };
  doc.mail.messageId = "0100018e1a2b3c4d-22222222-aaaa-bbbb-cccc-000000000002-000000";
  doc.mail.destination = ["gone.user@customer.example"];
  doc.bounce.feedbackId = "0100018e1a2b3c4e-aaaaaaaa-1111-2222-3333-444444444444-000000";
  doc.bounce.bouncedRecipients = [{ emailAddress: "gone.user@customer.example" }];
  doc.bounce.timestamp = "2026-03-02T14:00:03.120Z";
  return parseSesFeedback(doc);
}

describe("pinpoint-event-processing on dynalite", () => {
  let engine: DynaliteEngine;
  let contactTable: string;
  let idempotencyTable: string;
  const ses = new SESv2Client({ region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  const sesMock = mockClient(ses);

  before(async () => {
    engine = await startDynalite();
  });
  after(async () => {
    sesMock.restore();
    await engine.stop();
  });
  beforeEach(async () => {
    contactTable = await engine.createTable(CONTACT_TABLE, "contacts");
    idempotencyTable = await engine.createTable(IDEMPOTENCY_TABLE, "idempotency");
    sesMock.reset();
    sesMock.on(PutSuppressedDestinationCommand).resolves({});
  });

  function build() {
    const config = loadProcessorConfig({ CONTACT_TABLE_NAME: contactTable, IDEMPOTENCY_TABLE_NAME: idempotencyTable });
    const { service, idempotencyConfig } = createIdempotentFeedbackService(config, { ses, dynamo: withAllOldOnConditionFailure(engine.client) });
    idempotencyConfig.registerLambdaContext({ getRemainingTimeInMillis: () => 60_000 } as Context);
    return service;
  }

  const eventCount = async (address: string) =>
    (await engine.client.send(new GetItemCommand({ TableName: contactTable, Key: { emailAddress: { S: address } }, ConsistentRead: true }))).Item
      ?.eventCount?.N;
  const sesCalls = () => sesMock.commandCalls(PutSuppressedDestinationCommand).length;
  const addresses = ["gone.user@customer.example", "angry.reader@mailbox.example", "no.such.box@other.example"];

  it("records nothing twice when the same object is processed again (Lambda's async retry)", async () => {
    const service = build();
    const first = await processEventObject(chunks(), service);
    expect([first.suppressed, first.duplicates, first.failures]).to.deep.equal([{ BOUNCE: 2, COMPLAINT: 1 }, 0, []]);
    const second = await processEventObject(chunks(), service);
    expect([second.suppressed, second.duplicates, second.failures]).to.deep.equal([{}, 3, []]);
    expect(sesCalls()).to.equal(3);
    expect(await Promise.all(addresses.map(eventCount))).to.deep.equal(["1", "1", "1"]);
  });

  it("treats the SES notification of a bounce it already processed as a redelivery (same idempotency key)", async () => {
    const service = build();
    await processEventObject(chunks(), service);
    const viaSes = await service.processEvent(sameBounceAsSesNotification());
    expect(viaSes.map((o) => [o.address, o.duplicate])).to.deep.equal([["gone.user@customer.example", "redelivery"]]);
    expect(sesCalls()).to.equal(3);
    expect(await eventCount("gone.user@customer.example")).to.equal("1");
  });

  it("still counts a bounce once when its idempotency record is gone (expired) and it arrives again", async () => {
    const service = build();
    await processEventObject(chunks(), service);
    const { Items = [] } = await engine.client.send(new ScanCommand({ TableName: idempotencyTable }));
    for (const item of Items) await engine.client.send(new DeleteItemCommand({ TableName: idempotencyTable, Key: { id: item.id } }));

    await service.processEvent(sameBounceAsSesNotification());
    // Processed again (SES is an upsert), but the contact store's event-key guard holds the count.
    expect(sesCalls()).to.equal(4);
    expect(await eventCount("gone.user@customer.example")).to.equal("1");
  });
});
