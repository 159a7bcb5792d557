/**
 * The sending extension point (functions/shared/sending): SEND_STEPS parsing, the step registry,
 * withSteps' rules, and the landed senders (#2, #8, #9) run through test-only steps.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { parseAddressList } from "../../functions/ses-auto-reply/addresses";
import { createAutoReplyService } from "../../functions/ses-auto-reply/auto-reply-service";
import { SesReceiptEventSchema } from "../../functions/ses-auto-reply/receipt-event";
import type { ReplyStateStore } from "../../functions/ses-auto-reply/state-store";
import type { StepJournal } from "../../functions/self-managed-opt-outs/adapters";
import { loadInboundConfig } from "../../functions/self-managed-opt-outs/config";
import { processInbound, type InboundDeps } from "../../functions/self-managed-opt-outs/process";
import type { EmailSendRequest, EmailSendOutcome } from "../../functions/shared/sending/channels";
import { formatSendSteps, sendStepConfigsFromEnv } from "../../functions/shared/sending/contract";
import { sendStepsFromEnv, type SendStepFactory } from "../../functions/shared/sending/registry";
import { withSteps, type SendContext, type SendStep, type Sender } from "../../functions/shared/sending/steps";
import type { SmsSendOutcome, SmsSendRequest, SmsSender } from "../../functions/shared/sms/sms-send";
import { TokenBucketRegistry } from "../../functions/shared/sms/token-bucket";
import type { FinishRequest, OutcomeStore } from "../../functions/sms-file-drop/adapters";
import { sendQueuedMessage } from "../../functions/sms-file-drop/send-record";
import { CASES as OPT_OUT_CASES } from "./handler-cases/self-managed-opt-outs";
import { silentObservability } from "./sms-test-helpers";

type Sms = SendStep<SmsSendRequest, SmsSendOutcome>;
const CTX: SendContext = { idempotencyKey: "row-1" };
const REQUEST: SmsSendRequest = { destination: "+12065550100", originationIdentity: "+12065550142", body: "Hello", messageType: "TRANSACTIONAL" };

/** An SMS sender that records what it sends and answers `outcome`. */
function recordingSender(outcome: SmsSendOutcome = { status: "SENT", messageId: "m-1" }) {
  const sent: { request: SmsSendRequest; ctx: SendContext }[] = [];
  const sender: SmsSender = {
    async send(request, ctx) {
      sent.push({ request, ctx });
      return outcome;
    },
  };
  return { sender, sent };
}

/** Test-only steps: one that records, one that withholds, one that fails before or after. */
function recording(name: string, calls: string[]): Sms {
  return {
    name,
    async before(request, ctx) {
      calls.push(`${name}.before ${ctx.idempotencyKey} ${request.body}`);
      return { action: "send", request: { ...request, body: `${request.body}+${name}` } };
    },
    async after(request, outcome, ctx) {
      calls.push(`${name}.after ${ctx.idempotencyKey} ${request.body} ${outcome.status}`);
    },
  };
}
const skipping = (reason: string): Sms => ({ name: "skip", before: async () => ({ action: "skip", reason }) });
const failing = (when: "before" | "after"): Sms => ({
  name: `fail-${when}`,
  [when]: async () => {
    throw Object.assign(new Error("step broke"), { name: "StepBroke" });
  },
});

const TEST_FACTORIES: SendStepFactory[] = [
  { name: "record", create: { sms: () => recording("record", []), email: () => ({ name: "record" }) } },
  {
    name: "skip",
    create: {
      sms: (settings) => {
        if (typeof settings.reason !== "string") throw new Error("settings.reason must be a string");
        return skipping(settings.reason);
      },
    },
  },
];

describe("sending: SEND_STEPS", () => {
  it("means no steps when unset or empty", () => {
    expect(sendStepConfigsFromEnv({})).to.deep.equal([]);
    expect(sendStepConfigsFromEnv({ SEND_STEPS: " " })).to.deep.equal([]);
    expect(sendStepsFromEnv({}, "sms")).to.deep.equal([]);
  });

  it("round-trips the list a component writes", () => {
    const steps = [{ name: "record" }, { name: "skip", settings: { reason: "quiet hours" } }];
    expect(sendStepConfigsFromEnv({ SEND_STEPS: formatSendSteps(steps) })).to.deep.equal(steps);
  });

  it("rejects a malformed value with every problem, naming the entry", () => {
    expect(() => sendStepConfigsFromEnv({ SEND_STEPS: "archive" })).to.throw("SEND_STEPS is not valid JSON");
    expect(() => sendStepConfigsFromEnv({ SEND_STEPS: '{"name":"x"}' })).to.throw('SEND_STEPS must be a list of {"name": ..., "settings": {...}}');
    expect(() => sendStepConfigsFromEnv({ SEND_STEPS: '[{"name":""},{"name":"a","settings":1,"x":2},{"name":"a"},"b"]' })).to.throw(
      'SEND_STEPS[0].name must be a non-empty string; SEND_STEPS[1] has unknown keys x (allowed: name, settings); SEND_STEPS[1].settings must be an object; SEND_STEPS[2]: step "a" is listed twice; SEND_STEPS[3] must be an object {"name": ..., "settings": {...}}',
    );
  });
});

describe("sending: the step registry", () => {
  it("fails at cold start on a step nobody registered", () => {
    expect(() => sendStepsFromEnv({ SEND_STEPS: '[{"name":"archive"}]' }, "sms", [])).to.throw('SEND_STEPS[0]: unknown send step "archive" (registered: none)');
    expect(() => sendStepsFromEnv({ SEND_STEPS: '[{"name":"not-registered"}]' }, "sms")).to.throw('SEND_STEPS[0]: unknown send step "not-registered" (registered: ');
    expect(() => sendStepsFromEnv({ SEND_STEPS: '[{"name":"record"},{"name":"archive"}]' }, "sms", TEST_FACTORIES)).to.throw(
      'SEND_STEPS[1]: unknown send step "archive" (registered: record, skip)',
    );
  });

  it("fails on a step that does not support the channel, or on settings the step refuses", () => {
    expect(() => sendStepsFromEnv({ SEND_STEPS: '[{"name":"skip","settings":{"reason":"x"}}]' }, "email", TEST_FACTORIES)).to.throw(
      'SEND_STEPS[0]: send step "skip" does not support the email channel',
    );
    expect(() => sendStepsFromEnv({ SEND_STEPS: '[{"name":"skip"}]' }, "sms", TEST_FACTORIES)).to.throw('SEND_STEPS[0]: send step "skip": settings.reason must be a string');
  });

  it("builds the configured steps in order, with their settings", () => {
    const steps = sendStepsFromEnv({ SEND_STEPS: '[{"name":"record"},{"name":"skip","settings":{"reason":"x"}}]' }, "sms", TEST_FACTORIES);
    expect(steps.map((s) => s.name)).to.deep.equal(["record", "skip"]);
  });
});

describe("sending: withSteps", () => {
  it("returns the sender itself when no step is configured", () => {
    const { sender } = recordingSender();
    expect(withSteps(sender, [])).to.equal(sender);
  });

  it("runs before-steps in order on the previous step's request, sends the result, then every after-step with the same key", async () => {
    const calls: string[] = [];
    const { sender, sent } = recordingSender();
    const outcome = await withSteps(sender, [recording("a", calls), recording("b", calls)]).send(REQUEST, CTX);
    expect(outcome).to.deep.equal({ status: "SENT", messageId: "m-1" });
    expect(sent).to.deep.equal([{ request: { ...REQUEST, body: "Hello+a+b" }, ctx: CTX }]);
    expect(calls).to.deep.equal(["a.before row-1 Hello", "b.before row-1 Hello+a", "a.after row-1 Hello+a+b SENT", "b.after row-1 Hello+a+b SENT"]);
  });

  it("passes every outcome to the after-steps, not only SENT", async () => {
    const calls: string[] = [];
    const { sender } = recordingSender({ status: "FAILED", retryable: true, throttled: true, errorName: "ThrottlingException", errorMessage: "" });
    await withSteps(sender, [recording("a", calls)]).send(REQUEST, CTX);
    expect(calls[1]).to.equal("a.after row-1 Hello+a FAILED");
  });

  it("a skipping step withholds the message: nothing is sent, later before-steps do not run, after-steps see SKIPPED", async () => {
    const calls: string[] = [];
    const { sender, sent } = recordingSender();
    const outcome = await withSteps(sender, [skipping("quiet hours"), recording("a", calls)]).send(REQUEST, CTX);
    expect(outcome).to.deep.equal({ status: "SKIPPED", step: "skip", reason: "quiet hours" });
    expect(sent).to.deep.equal([]);
    expect(calls).to.deep.equal(["a.after row-1 Hello SKIPPED"]);
  });

  it("a failing before-step sends nothing, runs no after-step, and its error propagates", async () => {
    const calls: string[] = [];
    const { sender, sent } = recordingSender();
    const error = await withSteps(sender, [recording("a", calls), failing("before")]).send(REQUEST, CTX).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error?.name).to.equal("StepBroke");
    expect(sent).to.deep.equal([]);
    expect(calls).to.deep.equal(["a.before row-1 Hello"]);
  });

  it("a failing after-step is reported and ignored: the SENT outcome stands, so the caller never re-sends", async () => {
    const calls: string[] = [];
    const reported: string[] = [];
    const { sender, sent } = recordingSender();
    const wrapped = withSteps(sender, [failing("after"), recording("a", calls)], {
      onAfterStepError: (step, error, ctx) => reported.push(`${step} ${(error as Error).name} ${ctx.idempotencyKey}`),
    });
    expect(await wrapped.send(REQUEST, CTX)).to.deep.equal({ status: "SENT", messageId: "m-1" });
    expect(sent).to.have.length(1);
    expect(reported).to.deep.equal(["fail-after StepBroke row-1"]);
    expect(calls).to.include("a.after row-1 Hello+a SENT");
  });

  it("an email sender that throws has no outcome: no after-step runs and the error reaches the caller unchanged", async () => {
    const calls: string[] = [];
    const rejected = Object.assign(new Error("rejected"), { name: "MessageRejected" });
    const email: Sender<EmailSendRequest, EmailSendOutcome> = { send: () => Promise.reject(rejected) };
    const step: SendStep<EmailSendRequest, EmailSendOutcome> = { name: "a", after: async () => void calls.push("after") };
    const request: EmailSendRequest = { from: "noreply@example.com", to: "jane@customer.example", subject: "Re: hi", html: undefined, text: "t", headers: [] };
    expect(await withSteps(email, [step]).send(request, CTX).catch((e: unknown) => e)).to.equal(rejected);
    expect(calls).to.deep.equal([]);
  });
});

describe("sending: the landed senders with steps", () => {
  const rowId = "a".repeat(64);
  /** Sends one file-drop row through `sms`, recording the outcome writes. */
  const sendRow = async (sms: SmsSender) => {
    const finished: FinishRequest[] = [];
    const outcomes: OutcomeStore = { claim: async () => ({ claimed: true, attempts: 1, takenOver: false }), finish: async (r) => (finished.push(r), true) };
    const message = {
      destination: "+12065550100",
      body: "Hello",
      originationIdentity: "+12065550142",
      messageType: "TRANSACTIONAL" as const,
      context: { external_campaign_id: "", id_1: "", id_2: "", sourceBucket: "drop", sourceKey: "in.csv", row: 1 },
      rowId,
    };
    const config = { identityRates: new Map([["+12065550142", 10]]), configurationSetName: undefined, sendGuarantee: "at-most-once" as const, maxAttempts: 5 };
    const result = await sendQueuedMessage(message, { leaseUntil: Date.now() + 60_000 }, config, {
      outcomes,
      sms,
      buckets: new TokenBucketRegistry(config.identityRates),
      ...silentObservability(),
      newClaimToken: () => "claim-1",
    });
    return { result, finished };
  };

  it("#9 records a row SENT when an after-step fails, so the row is never sent again", async () => {
    const { sender, sent } = recordingSender();
    const { result, finished } = await sendRow(withSteps(sender, [failing("after")], { onAfterStepError: () => undefined }));
    expect(result).to.equal("SENT");
    expect(sent).to.have.length(1);
    expect(finished.map((f) => f.status)).to.deep.equal(["SENT"]);
  });

  it("#9 records a withheld row REJECTED (SendStepSkipped), keyed by its rowId, and sends nothing", async () => {
    const { sender, sent } = recordingSender();
    const keys: string[] = [];
    const step: Sms = { name: "skip", before: async (_r, ctx) => (keys.push(ctx.idempotencyKey), { action: "skip", reason: "not today" }) };
    const { result, finished } = await sendRow(withSteps(sender, [step]));
    expect(result).to.equal("REJECTED");
    expect(sent).to.deep.equal([]);
    expect(keys).to.deep.equal([rowId]);
    expect(finished).to.deep.equal([{ status: "REJECTED", errorName: "SendStepSkipped", errorMessage: "skip: not today", rowId, claimToken: "claim-1" }]);
  });

  it("#8 journals a withheld reply as done (never retried) and reports it, keyed by the inbound message id", async () => {
    const journal = new Map<string, string>();
    const journalStore: StepJournal = {
      read: async () => new Map(),
      begin: async (_id, step) => (journal.set(step, "ATTEMPTING"), true),
      finish: async (_id, step, state) => void journal.set(step, state),
    };
    const keys: string[] = [];
    const { sender, sent } = recordingSender();
    const step: Sms = { name: "skip", before: async (_r, ctx) => (keys.push(ctx.idempotencyKey), { action: "skip", reason: "x" }) };
    const deps = {
      preferences: {} as InboundDeps["preferences"],
      events: { publish: async () => undefined },
      sms: withSteps(sender, [step]),
      journal: journalStore,
      ...silentObservability(),
    } as InboundDeps;
    const message = { originationNumber: "+12065550100", destinationNumber: "+12065550142", messageKeyword: "K", messageBody: "HELP", inboundMessageId: "in-1" };
    const result = await processInbound({ message, eventAt: 0 }, loadInboundConfig(OPT_OUT_CASES[0]!.sample), deps);
    expect(result).to.deep.equal({ inboundMessageId: "in-1", keywordClass: "HELP", outcome: "processed", reply: "withheld" });
    expect(sent).to.deep.equal([]);
    expect(keys).to.deep.equal(["in-1"]);
    expect(journal.get("reply")).to.equal("DONE");
  });

  it("#2 marks a withheld reply SKIPPED and gives the sender window and hour slot back, keyed by the SES message id", async () => {
    const calls: string[] = [];
    const state: ReplyStateStore = {
      claimMessage: async () => "claimed",
      claimSender: async () => true,
      takeHourlySlot: async () => true,
      releaseHourlySlot: async () => void calls.push("releaseHourlySlot"),
      finishMessage: async (_id, s) => void calls.push(`finish ${s}`),
      releaseMessage: async () => void calls.push("releaseMessage"),
      releaseSender: async () => void calls.push("releaseSender"),
    };
    const sent: string[] = [];
    const event = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "ses-receipt", "customer-reply.json"), "utf8"));
    const record = SesReceiptEventSchema.parse(event).Records[0]!;
    const service = createAutoReplyService({
      policy: { skipOnDmarcFail: true, replyFrom: "noreply@example.com", allowedReplyFrom: parseAddressList([]).list, ownAddresses: parseAddressList([]).list, allowExternalReplyTo: false },
      replyWindowSeconds: 86_400,
      maxRepliesPerHour: 100,
      sendGuarantee: "at-most-once",
      templates: { getTemplate: async () => ({ subjectPrefix: "Re: ", html: undefined, text: "Ref %%ID%%" }) },
      state,
      sender: { send: async (reply) => (sent.push(reply.to), "reply-1") },
      sendSteps: [{ name: "hold", before: async (_r, ctx) => (calls.push(`key ${ctx.idempotencyKey}`), { action: "skip", reason: "on hold" }) }],
      now: () => Date.parse("2026-03-02T17:45:09.000Z"),
      log: { warn: () => undefined },
    });
    expect(await service.handleRecord(record, 30_000)).to.deep.equal({ status: "withheld", step: "hold", reason: "on hold" });
    expect(sent).to.deep.equal([]);
    expect(calls).to.deep.equal([`key ${record.ses.mail.messageId}`, "releaseSender", "releaseHourlySlot", "finish SKIPPED"]);
  });
});
