/**
 * The whole config is validated before any resource is registered: a config whose keys all pass
 * their types but that breaks a component rule stops the program with zero registrations, so
 * `pulumi up` cannot have created anything.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { SEND_STEP_DECLARATIONS } from "../../components/shared/sending";
import { StackConfigError } from "../../stacks/config";
import { planStack } from "../../stacks/plan/plan";

async function planFailure(yaml: string): Promise<{ issues: string[]; registered: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "whole-config-"));
  const file = path.join(dir, "Pulumi.rules.yaml");
  fs.writeFileSync(file, yaml);
  try {
    await planStack("rules", undefined, file);
  } catch (error) {
    expect(error).to.be.instanceOf(StackConfigError);
    return { issues: (error as StackConfigError).issues, registered: (error as { registeredBeforeFailure: number }).registeredBeforeFailure };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return expect.fail("expected the plan to fail on the config");
}

describe("whole-config validation", () => {
  it("stops on a component rule (duplicate legacy identities) before registering anything", async () => {
    const { issues, registered } = await planFailure(
      [
        "config:",
        "  digital-user-engagement:sesEventProcessing:",
        "    enabled: true",
        "    legacyNotificationIdentities: [example.com, example.com]",
      ].join("\n"),
    );
    expect(issues).to.deep.equal(["digital-user-engagement:sesEventProcessing.legacyNotificationIdentities: must not contain duplicates"]);
    expect(registered).to.equal(0);
  });

  it("stops on a send step no handler registers, naming the key, before registering anything", async () => {
    const { issues, registered } = await planFailure(
      [
        "config:",
        "  digital-user-engagement:selfManagedOptOuts:",
        "    enabled: true",
        "    existingPhoneNumberId: phone-0123456789abcdef0123456789abcdef",
        "    sending:",
        "      steps:",
        "        - name: not-registered",
      ].join("\n"),
    );
    const registeredSteps = Object.keys(SEND_STEP_DECLARATIONS).join(", ");
    expect(issues).to.deep.equal([`digital-user-engagement:selfManagedOptOuts.sending: steps[0]: unknown send step "not-registered" (registered: ${registeredSteps})`]);
    expect(registered).to.equal(0);
  });
});
