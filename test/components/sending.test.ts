/**
 * The component side of the sending extension point (components/shared/sending.ts): the
 * environment and the IAM statements of the configured steps, validated against the declarations.
 */
import { expect } from "chai";
import { sendingEnvironment, sendingProblems, sendingStatements, type SendStepDeclaration } from "../../components/shared/sending";
import { sendStepConfigsFromEnv } from "../../functions/shared/sending/contract";

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
    expect(sendStepConfigsFromEnv(env)).to.deep.equal(sending.steps);
    expect(sendingStatements({ sending }, DECLARATIONS)).to.deep.equal([ARCHIVE_STATEMENT]);
  });

  it("reports an undeclared or malformed step by its key, and refuses to build with one", () => {
    expect(sendingProblems({ sending: { steps: [{ name: "archive" }] } })).to.deep.equal(['sending.steps[0]: unknown send step "archive" (registered: none)']);
    expect(sendingProblems({ sending: { steps: [{ name: "archive" }, { name: "dialer" }] } }, DECLARATIONS)).to.deep.equal([
      'sending.steps[1]: unknown send step "dialer" (registered: archive, quiet-hours)',
    ]);
    expect(sendingProblems({ sending: { steps: [{ name: "archive" }, { name: "archive" }] } }, DECLARATIONS)).to.deep.equal(['sending.steps[1]: step "archive" is listed twice']);
    expect(() => sendingEnvironment({ sending: { steps: [{ name: "archive" }] } })).to.throw('sending.steps[0]: unknown send step "archive"');
    expect(() => sendingStatements({ sending: { steps: [{ name: "archive" }] } })).to.throw('sending.steps[0]: unknown send step "archive"');
  });
});
