import { expect } from "chai";
import { FUNCTION_BLOCK_SIDS } from "../../components/shared/bundled-function";
import { PolicyStatement } from "../../components/shared/iam";
import { createStack } from "../../stacks";
import { StackConfigError, parseStackConfig } from "../../stacks/config";
import { MockRun, RecordedResource, runUnderMocks } from "../../stacks/plan/mock-runtime";

/**
 * Component-test harness: builds a program under Pulumi runtime mocks (fresh records every call)
 * and offers lookups that keep assertions short and exact.
 */
export class Built {
  constructor(public readonly run: MockRun<unknown>) {}

  get resources(): RecordedResource[] {
    return this.run.resources;
  }

  /** `type::name` of every direct child of the given component (by name), in creation order. */
  childrenOf(parentName: string): string[] {
    const parent = this.one(parentName);
    return this.resources.filter((r) => r.parent === parent.key).map((r) => r.key);
  }

  /** `type::name` of every resource below the given component, at any depth. */
  descendantsOf(parentName: string): string[] {
    const root = this.one(parentName).key;
    const keys = new Set([root]);
    const out: string[] = [];
    for (const r of this.resources) {
      if (r.parent && keys.has(r.parent)) {
        keys.add(r.key);
        out.push(r.key);
      }
    }
    return out;
  }

  /** The resource with this name (names are unique in our components). */
  one(name: string): RecordedResource {
    const matches = this.resources.filter((r) => r.name === name);
    expect(matches, `exactly one resource named ${name}`).to.have.length(1);
    return matches[0];
  }

  has(name: string): boolean {
    return this.resources.some((r) => r.name === name);
  }

  inputs(name: string): Record<string, unknown> {
    return this.one(name).inputs;
  }

  /** The statements of a policy document held in `prop` (default "policy"). */
  statements(name: string, prop = "policy"): PolicyStatement[] {
    const raw = this.inputs(name)[prop];
    const doc = (typeof raw === "string" ? JSON.parse(raw) : raw) as { Statement: PolicyStatement[] };
    return doc.Statement;
  }

  /**
   * The statements a component asked for on one of its functions' roles: the role policy of the
   * BundledFunction named `functionName`, without what the function block adds to every role
   * (its own logs, traces, on-failure queue), so a change there edits no architecture's test.
   */
  callerStatements(functionName: string): PolicyStatement[] {
    return this.statements(`${functionName}-policy`).filter((s) => !(FUNCTION_BLOCK_SIDS as readonly string[]).includes(s.Sid ?? ""));
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }
}

export async function build(program: () => unknown, stack = "test"): Promise<Built> {
  const run = await runUnderMocks(program, { project: "digital-user-engagement", stack });
  expect(run.duplicateUrns, "duplicate URNs").to.deep.equal([]);
  return new Built(run);
}

/**
 * Runs the whole program on a stack config that must be rejected, and returns its problems and how
 * many resources were registered before it stopped (0: the config is validated before anything).
 */
export async function stackConfigFailure(raw: Record<string, unknown>): Promise<{ issues: string[]; registered: number }> {
  const error = await runUnderMocks(() => createStack(parseStackConfig(raw))).then(
    () => expect.fail("expected the stack to stop on its config"),
    (caught: unknown) => caught,
  );
  expect(error).to.be.instanceOf(StackConfigError);
  return { issues: (error as StackConfigError).issues, registered: (error as { registeredBeforeFailure: number }).registeredBeforeFailure };
}

/** Every Allow action across the statements; used to assert "no wildcard actions". */
export function allowedActions(statements: PolicyStatement[]): string[] {
  return statements.filter((s) => s.Effect === "Allow").flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
}

/** Runs `fn` and returns the message it throws (fails the test if it does not throw). */
export function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as Error).message;
  }
  expect.fail("expected an error to be thrown");
}
