import { expect } from "chai";
import { aslProblems, loadLocalStepFunctions } from "./local-stepfunctions";

const DEFINITION = {
  StartAt: "Call",
  States: { Call: { Type: "Task", Resource: "arn:aws:lambda:us-east-1:123456789012:function:f", Retry: [{ ErrorEquals: ["Boom"], MaxAttempts: 2 }], End: true } },
};

describe("local Step Functions engine (test/engines/local-stepfunctions)", () => {
  it("validates ASL without changing the definition it is given", () => {
    const definition = structuredClone(DEFINITION);
    expect(aslProblems(definition)).to.deep.equal([]);
    expect(definition, "asl-validator 4 adds QueryLanguage to what it checks").to.deep.equal(DEFINITION);
    expect(aslProblems({ StartAt: "Missing", States: {} })).to.have.length(1);
  });

  it("runs Tasks on Node 20 (Promise.withResolvers polyfilled), with Retry matched by error name", async () => {
    const { StateMachine } = await loadLocalStepFunctions();
    let calls = 0;
    const run = new StateMachine(DEFINITION as never).run(
      {},
      {
        overrides: {
          taskResourceLocalHandlers: {
            Call: async () => {
              calls += 1;
              if (calls === 1) throw Object.assign(new Error("first call fails"), { name: "Boom" });
              return { calls };
            },
          },
          retryIntervalOverrides: { Call: 0 },
        },
      },
    );
    expect(await run.result).to.deep.equal({ calls: 2 });
  });
});
