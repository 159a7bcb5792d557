/**
 * #11 on a real DynamoDB engine (dynalite): the offer store's BatchGetItem against a table created
 * from OFFER_TABLE, and the personalization step inside #9's real SMS sender, built by
 * createSenderPorts from SEND_STEPS exactly as the deployed function builds it (its DynamoDB
 * clients pointed at dynalite through AWS_ENDPOINT_URL_DYNAMODB; only the SMS API is mocked).
 */
import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { DynamoDbOfferStore } from "../../functions/shared/campaigns/offers";
import { OFFER_TABLE, SMS_OUTCOME_TABLE } from "../../functions/shared/runtime/tables";
import { loadSenderConfig } from "../../functions/sms-file-drop/config";
import { rowIdFor, type QueuedSms } from "../../functions/sms-file-drop/message";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";
import { fakeContext, silentObservability, withEnv } from "./sms-test-helpers";

const FILE = { bucket: "sms-drop-bucket", key: "files/offers.csv", etag: "0123456789abcdef0123456789abcdef" };
const LONG_CODE = "+12065550199";

function queued(row: number, destination: string, body: string): QueuedSms {
  return {
    destination,
    body,
    originationIdentity: LONG_CODE,
    messageType: "PROMOTIONAL",
    context: { external_campaign_id: "spring", id_1: `cust-${row}`, id_2: "", sourceBucket: FILE.bucket, sourceKey: FILE.key, row },
    rowId: rowIdFor(FILE, row),
  };
}

describe("send-time attributes on DynamoDB (dynalite)", () => {
  let engine: DynaliteEngine;
  let offerTable: string;
  before(async () => {
    engine = await startDynalite();
  });
  after(async () => engine.stop());
  beforeEach(async () => {
    offerTable = await engine.createTable(OFFER_TABLE, "offers");
  });
  const putOffer = (item: Record<string, unknown>) => engine.documents.send(new PutCommand({ TableName: offerTable, Item: item }));

  it("reads offers with BatchGetItem against the shared key schema, in batches of 100, sets and numbers included", async () => {
    for (let i = 0; i < 120; i += 7) await putOffer({ recipientId: `r${i}`, Offer: `offer ${i}`, Price: i, Tags: new Set(["a", "b"]) });
    const offers = await new DynamoDbOfferStore(engine.documents, offerTable).getOffers(Array.from({ length: 120 }, (_, i) => `r${i}`));
    expect([...offers.keys()].sort()).to.deep.equal(Array.from({ length: 18 }, (_, i) => `r${i * 7}`).sort());
    expect(offers.get("r14")).to.deep.equal({ Offer: "offer 14", Price: 14, Tags: new Set(["a", "b"]) });
  });

  describe("inside the SMS file drop's sender (SEND_STEPS)", () => {
    const smsV2 = mockClient(PinpointSMSVoiceV2Client);
    let outcomeTable: string;
    beforeEach(async () => {
      smsV2.reset();
      smsV2.on(SendTextMessageCommand).resolves({ MessageId: "sms-1" });
      outcomeTable = await engine.createTable(SMS_OUTCOME_TABLE, "outcomes");
    });
    after(() => smsV2.restore());

    it("texts the recipient's offer, and records a recipient without one as withheld by the step (missingOffer: drop)", async () => {
      await putOffer({ recipientId: "+12065550101", Offer: "2 for 1 & free coffee" });
      const env = {
        SEND_STEPS: JSON.stringify([{ name: "sendTimeAttributes", settings: { tableName: offerTable, missingOffer: "drop" } }]),
        AWS_ENDPOINT_URL_DYNAMODB: engine.clientConfig.endpoint as string,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_MAX_ATTEMPTS: "1",
        ORIGINATION_IDENTITIES: JSON.stringify([{ identity: LONG_CODE, mps: 1000 }]),
        OUTCOME_TABLE_NAME: outcomeTable,
        POWERTOOLS_LOG_LEVEL: "SILENT",
        POWERTOOLS_METRICS_DISABLED: "true",
      };
      await withEnv(env, async () => {
        const mod = await import("../../functions/sms-file-drop/sender.js");
        const config = loadSenderConfig(process.env);
        const handler = mod.createSenderHandler(config, mod.createSenderPorts(config), silentObservability());
        const messages = [queued(1, "+12065550101", "Today only: {{Attributes.Offer}}"), queued(2, "+12065550102", "Today only: {{Attributes.Offer}}")];
        const response = await handler(
          { Records: messages.map((m, i) => ({ messageId: `m${i}`, body: JSON.stringify(m), attributes: { MessageGroupId: LONG_CODE, ApproximateReceiveCount: "1" } })) },
          fakeContext(60_000),
        );
        expect(response).to.deep.equal({ batchItemFailures: [] });
      });
      const sent = smsV2.commandCalls(SendTextMessageCommand).map((c) => ({ to: c.args[0].input.DestinationPhoneNumber, body: c.args[0].input.MessageBody }));
      expect(sent).to.deep.equal([{ to: "+12065550101", body: "Today only: 2 for 1 & free coffee" }]);
      const outcome = async (row: number) => (await engine.documents.send(new GetCommand({ TableName: outcomeTable, Key: { rowId: rowIdFor(FILE, row) } }))).Item;
      expect(await outcome(1)).to.include({ status: "SENT", messageId: "sms-1" });
      expect(await outcome(2)).to.include({ status: "REJECTED", errorName: "SendStepSkipped", errorMessage: "sendTimeAttributes: no offer for the recipient (missingOffer: drop)" });
    });
  });
});
