import { expect } from "chai";
import { ConnectClient, StartOutboundVoiceContactCommand } from "@aws-sdk/client-connect";
import { mockClient, type AwsClientStub } from "aws-sdk-client-mock";
import {
  attributeBytes,
  clientTokenFor,
  formatDialRequest,
  MAX_ATTRIBUTE_BYTES,
  parseDialRequest,
  type DialRequestInput,
} from "../../functions/shared/voice/dial-request";
import { DialEnqueueError, enqueueDialEntries, type DialQueue, type DialQueueEntry, type DialQueueFailure } from "../../functions/shared/voice/dial-queue";
import { dialRequestForRow, routeVoiceEntries, VOICE_NOT_CONFIGURED, voiceEntryForRow, voiceMessageProblem, type RoutedEntry } from "../../functions/shared/voice/router";
import { classifyVoiceError, ConnectVoiceSender } from "../../functions/shared/voice/voice-send";

const REQUEST: DialRequestInput = {
  version: 1,
  campaignKey: "campaign:spring",
  recipientKey: "+12065550100",
  destination: "+12065550100",
  message: "Your appointment is tomorrow at ten.",
  source: { kind: "api", ref: "test" },
};

/** An SDK-shaped service error. */
function serviceError(name: string, status = 400, fault: "client" | "server" = "client"): Error {
  return Object.assign(new Error(`${name} message`), { name, $fault: fault, $metadata: { httpStatusCode: status } });
}

describe("dial request", () => {
  it("round-trips through the queue body with attributes defaulted", () => {
    expect(parseDialRequest(formatDialRequest(REQUEST))).to.deep.equal({ ...REQUEST, attributes: {} });
  });

  it("names every problem of a malformed body", () => {
    expect(() => parseDialRequest("{")).to.throw("Dial request is malformed: body is not JSON");
    expect(() => parseDialRequest(JSON.stringify({ ...REQUEST, destination: "2065550100", attributes: { Message: "x" } }))).to.throw(
      'Dial request is malformed: destination: destination must be an E.164 number; attributes: attributes must not set "Message" (it carries the message)',
    );
  });

  it("rejects contact attributes over Connect's 32,768 UTF-8 bytes, counting multi-byte characters", () => {
    const big = "é".repeat(16_000); // 32,000 bytes
    expect(attributeBytes({ Message: REQUEST.message, note: big })).to.equal(7 + REQUEST.message.length + 4 + 32_000);
    expect(() => formatDialRequest({ ...REQUEST, attributes: { note: big + "é".repeat(400) } })).to.throw(`(maximum ${MAX_ATTRIBUTE_BYTES})`);
  });

  it("derives one ClientToken per campaign and recipient, within the API's 500 characters", () => {
    const token = clientTokenFor("campaign:spring", "+12065550100");
    expect(token).to.match(/^[0-9a-f]{64}$/);
    expect(clientTokenFor("campaign:spring", "+12065550100")).to.equal(token);
    expect(clientTokenFor("campaign:summer", "+12065550100")).to.not.equal(token);
    // The pair is encoded, not concatenated: ("a:b","c") and ("a","b:c") differ.
    expect(clientTokenFor("a:b", "c")).to.not.equal(clientTokenFor("a", "b:c"));
  });
});

describe("StartOutboundVoiceContact errors", () => {
  const cases: [string, Error, string, boolean?][] = [
    ["DestinationNotAllowedException", serviceError("DestinationNotAllowedException"), "INVALID_DESTINATION"],
    ["InvalidParameterException", serviceError("InvalidParameterException"), "REJECTED"],
    ["InvalidRequestException", serviceError("InvalidRequestException"), "REJECTED"],
    ["LimitExceededException (concurrent calls)", serviceError("LimitExceededException", 429), "AT_CAPACITY"],
    ["ThrottlingException", serviceError("ThrottlingException", 429), "THROTTLED"],
    ["TooManyRequestsException", serviceError("TooManyRequestsException", 429), "THROTTLED"],
    ["InternalServiceException", serviceError("InternalServiceException", 500, "server"), "UNKNOWN"],
    ["a timeout", Object.assign(new Error("socket timeout"), { name: "TimeoutError" }), "UNKNOWN"],
    ["OutboundContactNotPermittedException", serviceError("OutboundContactNotPermittedException"), "FAILED", true],
    ["ResourceNotFoundException", serviceError("ResourceNotFoundException", 404), "FAILED", true],
    ["AccessDeniedException", serviceError("AccessDeniedException", 403), "FAILED", true],
    ["an unknown client error", serviceError("SomethingNewException"), "FAILED", false],
  ];
  for (const [label, error, status, retryable] of cases) {
    it(`classifies ${label} as ${status}${retryable === undefined ? "" : retryable ? " (retryable)" : " (final)"}`, () => {
      const outcome = classifyVoiceError(error);
      expect(outcome.status).to.equal(status);
      if (retryable !== undefined) expect((outcome as { retryable: boolean }).retryable).to.equal(retryable);
    });
  }

  it("rethrows a programming error instead of recording it as a call result", () => {
    expect(() => classifyVoiceError(new TypeError("x is undefined"))).to.throw(TypeError);
  });
});

describe("ConnectVoiceSender", () => {
  let connect: AwsClientStub<ConnectClient>;
  // Created and restored per suite: another file's mock of the same client must not override it.
  before(() => {
    connect = mockClient(ConnectClient);
  });
  after(() => connect.restore());

  it("sends exactly the StartOutboundVoiceContact input, with the ClientToken and the message attribute", async () => {
    connect.on(StartOutboundVoiceContactCommand).resolves({ ContactId: "contact-1" });
    const sender = new ConnectVoiceSender(new ConnectClient({ region: "us-east-1" }), {
      instanceId: "11111111-2222-4333-8444-555555555555",
      contactFlowId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
      queueId: "99999999-8888-4777-8666-555555555555",
      ringTimeoutSeconds: 30,
    });
    const outcome = await sender.send({ destination: "+12065550100", attributes: { Message: "Hello" }, clientToken: "t".repeat(64) });
    expect(outcome).to.deep.equal({ status: "STARTED", contactId: "contact-1" });
    expect(connect.commandCalls(StartOutboundVoiceContactCommand).map((c) => c.args[0].input)).to.deep.equal([
      {
        InstanceId: "11111111-2222-4333-8444-555555555555",
        ContactFlowId: "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        DestinationPhoneNumber: "+12065550100",
        ClientToken: "t".repeat(64),
        QueueId: "99999999-8888-4777-8666-555555555555",
        RingTimeoutInSeconds: 30,
        TrafficType: "GENERAL",
        Attributes: { Message: "Hello" },
      },
    ]);
  });
});

/** A queue that records batches and fails entries by a script: ids → failure per attempt. */
class ScriptedQueue implements DialQueue {
  readonly batches: DialQueueEntry[][] = [];
  constructor(private readonly script: (entry: DialQueueEntry, attempt: number) => DialQueueFailure | undefined = () => undefined) {}
  private readonly attempts = new Map<string, number>();
  async sendBatch(entries: readonly DialQueueEntry[]): Promise<DialQueueFailure[]> {
    this.batches.push([...entries]);
    return entries.flatMap((e) => {
      const attempt = (this.attempts.get(e.id) ?? 0) + 1;
      this.attempts.set(e.id, attempt);
      const failure = this.script(e, attempt);
      return failure === undefined ? [] : [failure];
    });
  }
}

describe("enqueueDialEntries", () => {
  const noSleep = async () => undefined;
  const entries = Array.from({ length: 23 }, (_, i) => ({ id: String(i), body: `b${i}` }));

  it("sends 10 per SendMessageBatch and re-sends only the entries SQS failed", async () => {
    const queue = new ScriptedQueue((e, attempt) => (e.id === "3" && attempt === 1 ? { id: "3", code: "InternalError", senderFault: false } : undefined));
    await enqueueDialEntries(queue, entries, { sleep: noSleep });
    expect(queue.batches.map((b) => b.map((e) => e.id))).to.deep.equal([
      ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
      ["3"],
      ["10", "11", "12", "13", "14", "15", "16", "17", "18", "19"],
      ["20", "21", "22"],
    ]);
  });

  it("sends everything else, then throws naming what was not queued (sender faults at once, others after their attempts)", async () => {
    const queue = new ScriptedQueue((e) =>
      e.id === "1" ? { id: "1", code: "InvalidMessageContents", senderFault: true } : e.id === "12" ? { id: "12", code: "InternalError", senderFault: false } : undefined,
    );
    const error = await enqueueDialEntries(queue, entries, { sleep: noSleep, maxAttempts: 3 }).then(
      () => expect.fail("expected a failure"),
      (e: unknown) => e as DialEnqueueError,
    );
    expect(error).to.be.instanceOf(DialEnqueueError);
    expect(error.failedIds).to.deep.equal(["1", "12"]);
    expect(error.message).to.equal("2 dial requests not queued: InvalidMessageContents x1, InternalError x1");
    expect(queue.batches.filter((b) => b.some((e) => e.id === "12"))).to.have.length(3);
    expect(queue.batches.flat().filter((e) => e.id === "1")).to.have.length(1);
  });
});

describe("VOICE rows of the SMS file drop (router)", () => {
  const ROW = {
    bucket: "drop",
    key: "files/calls.csv",
    etag: "abc",
    row: 7,
    destination: "+12065550100",
    message: "Your parcel arrives today.",
    externalCampaignId: "",
    id1: "order-1",
    id2: "",
  };

  it("keys a call by external campaign when set (once per campaign), else by file version, and by number", () => {
    expect(dialRequestForRow(ROW)).to.deep.equal({
      version: 1,
      campaignKey: "file:drop/files/calls.csv/abc",
      recipientKey: "+12065550100",
      destination: "+12065550100",
      message: "Your parcel arrives today.",
      attributes: { id_1: "order-1" },
      source: { kind: "sms-file-drop", ref: "s3://drop/files/calls.csv#7" },
    });
    expect(dialRequestForRow({ ...ROW, externalCampaignId: "spring", etag: "other" }).campaignKey).to.equal("campaign:spring");
    expect(dialRequestForRow({ ...ROW, externalCampaignId: "spring" }).attributes).to.deep.equal({ external_campaign_id: "spring", id_1: "order-1" });
  });

  it("splits a batch: VOICE entries to the dialer queue, the others to the SMS queue, failures of both returned", async () => {
    const sms = new ScriptedQueue((e) => (e.id === "row-2" ? { id: "row-2", code: "InternalError", senderFault: false } : undefined));
    const voice = new ScriptedQueue((e) => (e.id === "row-3" ? { id: "row-3", code: "InternalError", senderFault: false } : undefined));
    const voiceEntry = voiceEntryForRow(ROW, { id: "row-3", groupId: "pool-1", deduplicationId: "d3" });
    const entries: RoutedEntry[] = [
      { id: "row-1", body: "sms-1", groupId: "pool-1", deduplicationId: "d1" },
      { id: "row-2", body: "sms-2", groupId: "pool-1", deduplicationId: "d2", channel: "SMS" },
      voiceEntry,
    ];
    const failures = await routeVoiceEntries(sms, voice).sendBatch(entries);
    expect(failures.map((f) => f.id)).to.deep.equal(["row-2", "row-3"]);
    expect(sms.batches).to.deep.equal([[entries[0], entries[1]]]);
    expect(voice.batches).to.deep.equal([[{ id: "row-3", body: voiceEntry.body }]]);
    expect(parseDialRequest(voiceEntry.body).campaignKey).to.equal("file:drop/files/calls.csv/abc");
  });

  it("fails VOICE entries as the sender's fault when no dialer queue is configured (never dropped)", async () => {
    const sms = new ScriptedQueue();
    const failures = await routeVoiceEntries(sms, undefined).sendBatch([voiceEntryForRow(ROW, { id: "row-1", groupId: "g", deduplicationId: "d" })]);
    expect(failures).to.deep.equal([{ id: "row-1", code: VOICE_NOT_CONFIGURED, message: "no dialer queue is configured (enable connectChannel)", senderFault: true }]);
    expect(sms.batches).to.deep.equal([]);
  });

  it("reports a VOICE message that cannot be dialled", () => {
    const ids = { externalCampaignId: "", id1: "", id2: "" };
    expect(voiceMessageProblem("Hello", ids)).to.equal(undefined);
    expect(voiceMessageProblem("  ", ids)).to.equal("is empty");
    expect(voiceMessageProblem("x".repeat(3001), ids)).to.equal("is 3001 characters (a call speaks at most 3000)");
    expect(voiceMessageProblem("Hello", { ...ids, id1: "€".repeat(11_000) })).to.match(/^with the row's ids takes 33\d{3} UTF-8 bytes of contact attributes \(maximum 32768\)$/);
  });
});
