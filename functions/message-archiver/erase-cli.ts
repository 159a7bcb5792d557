/**
 * Operator CLI for #6's erasure (npm run archive:erase -- …), with the operator's own credentials:
 *
 *   npm run archive:erase -- --bucket <archiveBucketName> --email jane@example.com --phone +14155550123 [--dry-run]
 *   npm run archive:erase -- --bucket <archiveBucketName> --endpoint-id <Pinpoint endpoint id>
 *   npm run archive:erase -- --id-for --email jane@example.com      (prints the recipient id only)
 *
 * Options: --bucket (or ARCHIVE_BUCKET), --prefix (default "archive", or ARCHIVE_PREFIX), any
 * number of --email, --phone, --endpoint-id, --recipient-id, and --dry-run. Prints the report as
 * JSON. Exit codes: 0 erased / nothing found / dry run, 2 refused (Object Lock), 3 incomplete,
 * 1 bad arguments or an error. Needs s3:ListBucketVersions, s3:DeleteObjectVersion,
 * s3:GetBucketObjectLockConfiguration, s3:GetObjectRetention and s3:GetObjectLegalHold on the bucket
 * (and kms:Decrypt is not needed: nothing is read).
 */
import { S3Client } from "@aws-sdk/client-s3";
import { parseArgs } from "node:util";
import { DEFAULT_ARCHIVE_PREFIX } from "../shared/archive/layout";
import { recipientIdFor } from "../shared/archive/recipient";
import { sdkClientConfig } from "../shared/runtime/aws-clients";
import { S3ErasureStore } from "./adapters";
import { eraseRecipient, type ErasureStore } from "./erasure";

export const EXIT_CODES = { ERASED: 0, NOTHING_FOUND: 0, DRY_RUN: 0, REFUSED: 2, INCOMPLETE: 3 } as const;

export async function runEraseCli(
  argv: string[],
  env: Record<string, string | undefined>,
  deps: { store?: ErasureStore; print: (line: string) => void },
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      bucket: { type: "string" },
      prefix: { type: "string" },
      email: { type: "string", multiple: true },
      phone: { type: "string", multiple: true },
      "endpoint-id": { type: "string", multiple: true },
      "recipient-id": { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
      "id-for": { type: "boolean" },
    },
    strict: true,
  });
  if (values["id-for"]) {
    for (const e of values.email ?? []) deps.print(`${recipientIdFor("email", e)}\temail`);
    for (const p of values.phone ?? []) deps.print(`${recipientIdFor("phone", p)}\tphone`);
    return 0;
  }
  const bucket = values.bucket ?? env.ARCHIVE_BUCKET;
  if (!bucket) throw new Error("--bucket (or ARCHIVE_BUCKET) is required");
  const store = deps.store ?? new S3ErasureStore(new S3Client({ ...sdkClientConfig() }));
  const report = await eraseRecipient(store, bucket, values.prefix ?? env.ARCHIVE_PREFIX ?? DEFAULT_ARCHIVE_PREFIX, {
    emails: values.email,
    phones: values.phone,
    endpointIds: values["endpoint-id"],
    recipientIds: values["recipient-id"],
    dryRun: values["dry-run"] ?? false,
  });
  deps.print(JSON.stringify(report, null, 2));
  return EXIT_CODES[report.status];
}

if (require.main === module) {
  runEraseCli(process.argv.slice(2), process.env, { print: (line) => console.log(line) }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`archive:erase: ${(error as Error).message}`);
      process.exit(1);
    },
  );
}
