import { PROJECT } from "./schema";

/**
 * Account IDs that AWS's documentation uses in examples. A stack file that still holds one has not
 * been filled in: a real `pulumi preview`/`up` would grant access to, or send through, resources of
 * an account that is not the user's.
 */
export const PLACEHOLDER_ACCOUNT_IDS = ["123456789012", "111122223333", "444455556666", "777788889999"] as const;

/**
 * The environment variable the offline plan sets (it runs under runtime mocks, in no account):
 * placeholders are then reported as warnings instead of config errors, so `npm run plan` works on
 * a fresh clone.
 */
export const OFFLINE_PLAN_ENV = "DUE_OFFLINE_PLAN";

/** True while the offline plan (or a test emulating it) runs the program. */
export function offlinePlanRunning(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[OFFLINE_PLAN_ENV] === "1";
}

const ARN_ACCOUNT = /^arn:[a-z-]+:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/;

/**
 * One line per config value that is an ARN in a placeholder account, naming the exact key, e.g.
 * `digital-user-engagement:smsFileDrop.originationIdentities.0.arn: account 123456789012 is a
 * placeholder ...`. `raw` maps our keys (without the project prefix) to their values.
 */
export function placeholderIssues(raw: Record<string, unknown>): string[] {
  const issues: string[] = [];
  const visit = (value: unknown, path: string[]) => {
    if (typeof value === "string") {
      const account = ARN_ACCOUNT.exec(value)?.[1];
      if (account !== undefined && (PLACEHOLDER_ACCOUNT_IDS as readonly string[]).includes(account)) {
        issues.push(
          `${PROJECT}:${path.join(".")}: account ${account} is a placeholder from AWS's documentation; replace "${value}" with the ARN in your account`,
        );
      }
    } else if (Array.isArray(value)) {
      value.forEach((v, i) => visit(v, [...path, String(i)]));
    } else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) visit(v, [...path, k]);
    }
  };
  for (const [key, value] of Object.entries(raw)) visit(value, [key]);
  return issues;
}
