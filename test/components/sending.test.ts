/**
 * The component side of the sending extension point (components/shared/sending.ts): the
 * environment and the IAM statements of the configured steps, validated against the declarations.
 */
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { sendingEnvironment, sendingProblems, sendingStatements, type SendStepDeclaration } from "../../components/shared/sending";
import { sendStepConfigsFromEnv } from "../../functions/shared/sending/contract";
import { Capabilities, provide } from "../../stacks/architectures/composition";
import { MESSAGE_ARCHIVE_STEP, SEND_STEP_CAPABILITIES, withContributedSendSteps, type SendStepContribution } from "../../stacks/architectures/send-steps";

const ARCHIVE_STATEMENT = { Sid: "ArchiveMessages", Effect: "Allow" as const, Action: "s3:PutObject", Resource: "arn:aws:s3:::archive/*" };
/** Test-only declarations: a step that needs a statement, and one that needs none. */
const DECLARATIONS: Record<string, SendStepDeclaration> = {
  archive: { statements: (settings) => [{ ...ARCHIVE_STATEMENT, Resource: `arn:aws:s3:::${String(settings.bucket)}/*` }] },
  "quiet-hours": { statements: () => [] },
};

describe("sending settings (components/shared/sending)", () => {
  it("without steps, sets only the send guarantee and needs no statement (the environment of every landed sender is unchanged)", () => {
    expect(sendingEnvironment({})).to.deep.equal({ SEND_GUARANTEE: "at-most-once" });
    expect(sendingEnvironment({ sendGuarantee: "at-least-once", sending: { steps: [] } })).to.deep.equal({ SEND_GUARANTEE: "at-least-once" });
    expect(sendingStatements({})).to.deep.equal([]);
    expect(sendingProblems({ sending: {} })).to.deep.equal([]);
  });

  it("writes SEND_STEPS as the handler reads it, and adds each step's statements in step order", () => {
    const sending = { steps: [{ name: "quiet-hours" }, { name: "archive", settings: { bucket: "archive" } }] };
    const env = sendingEnvironment({ sending }, DECLARATIONS);
    expect(env).to.deep.equal({ SEND_GUARANTEE: "at-most-once", SEND_STEPS: '[{"name":"quiet-hours"},{"name":"archive","settings":{"bucket":"archive"}}]' });
    expect(sendStepConfigsFromEnv(env as Record<string, string>)).to.deep.equal(sending.steps);
    expect(sendingStatements({ sending }, DECLARATIONS)).to.deep.equal([ARCHIVE_STATEMENT]);
  });

  it("reports an undeclared or malformed step by its key, and refuses to build with one", () => {
    expect(sendingProblems({ sending: { steps: [{ name: "archive" }] } }, {})).to.deep.equal(['sending.steps[0]: unknown send step "archive" (registered: none)']);
    expect(sendingProblems({ sending: { steps: [{ name: "archive" }, { name: "dialer" }] } }, DECLARATIONS)).to.deep.equal([
      'sending.steps[1]: unknown send step "dialer" (registered: archive, quiet-hours)',
    ]);
    expect(sendingProblems({ sending: { steps: [{ name: "archive" }, { name: "archive" }] } }, DECLARATIONS)).to.deep.equal(['sending.steps[1]: step "archive" is listed twice']);
    expect(() => sendingEnvironment({ sending: { steps: [{ name: "archive" }] } }, {})).to.throw('sending.steps[0]: unknown send step "archive"');
    expect(() => sendingStatements({ sending: { steps: [{ name: "archive" }] } }, {})).to.throw('sending.steps[0]: unknown send step "archive"');
  });
});

describe("contributed send steps (stacks/architectures/send-steps)", () => {
  const bucket = "archive-bucket-123";
  const contribution: SendStepContribution = { step: { name: "archive", settings: { bucket: pulumi.output(bucket) } }, channels: ["sms"], senders: ["smsFileDrop"] };

  function capabilitiesWith(...provided: [typeof MESSAGE_ARCHIVE_STEP, SendStepContribution][]): Capabilities {
    const capabilities = new Capabilities();
    for (const [cap, value] of provided) capabilities.add(provide(cap, value));
    return capabilities;
  }

  it("adds an enabled contributor's step after the sender's own steps, only on its channels and senders", () => {
    const capabilities = capabilitiesWith([MESSAGE_ARCHIVE_STEP, contribution]);
    const own = { steps: [{ name: "quiet-hours" }] };
    expect(withContributedSendSteps(own, capabilities, "smsFileDrop", "sms").steps!.map((s) => s.name)).to.deep.equal(["quiet-hours", "archive"]);
    expect(withContributedSendSteps(own, capabilities, "smsFileDrop", "email").steps!.map((s) => s.name), "other channel").to.deep.equal(["quiet-hours"]);
    expect(withContributedSendSteps(own, capabilities, "selfManagedOptOuts", "sms").steps!.map((s) => s.name), "other sender").to.deep.equal(["quiet-hours"]);
    expect(withContributedSendSteps(undefined, new Capabilities(), "smsFileDrop", "sms"), "no contributor enabled").to.deep.equal({ steps: [] });
  });

  it("keeps the sender's own settings when it already lists the contributed step by name", () => {
    const capabilities = capabilitiesWith([MESSAGE_ARCHIVE_STEP, contribution]);
    const own = { steps: [{ name: "archive", settings: { bucket: "own-bucket" } }] };
    expect(withContributedSendSteps(own, capabilities, "smsFileDrop", "sms").steps).to.deep.equal(own.steps);
  });

  it("orders content steps before the archive, so the archive sees what was sent", () => {
    expect(SEND_STEP_CAPABILITIES.map((c) => c.id)).to.deep.equal(["sendTimeAttributes.sendStep", "externalTemplates.sendStep", "messageArchiver.sendStep"]);
  });

  it("resolves settings that hold outputs into the SEND_STEPS the handler reads", async () => {
    const env = sendingEnvironment({ sending: { steps: [{ name: "quiet-hours" }, contribution.step] } }, DECLARATIONS);
    expect(pulumi.Output.isInstance(env.SEND_STEPS)).to.equal(true);
    const value = await new Promise<string>((resolve) => (env.SEND_STEPS as pulumi.Output<string>).apply(resolve));
    expect(sendStepConfigsFromEnv({ SEND_STEPS: value })).to.deep.equal([{ name: "quiet-hours" }, { name: "archive", settings: { bucket } }]);
  });
});
