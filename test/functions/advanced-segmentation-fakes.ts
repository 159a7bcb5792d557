/**
 * Test doubles for #10: an Athena that serves a result in pages (with the header row and column
 * info GetQueryResults returns), an S3 bucket in memory, a Customer Profiles domain in memory (for
 * the shared attribute store's real adapter), and the members table on dynalite.
 */
import { GetQueryResultsCommand, type AthenaClient } from "@aws-sdk/client-athena";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { SearchProfilesCommand, UpdateProfileCommand, type CustomerProfilesClient } from "@aws-sdk/client-customer-profiles";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { SEGMENT_MEMBERS_TABLE } from "../../functions/shared/runtime/tables";
import type { DynaliteEngine } from "../engines/dynalite";
import { recordingObservability } from "./recording-observability";

export function fakeAthena(memberIds: string[], pageSize: number, calls: { token: string | undefined }[] = []): AthenaClient {
  const rows = [{ Data: [{ VarCharValue: "member_id" }] }, ...memberIds.map((id) => ({ Data: [{ VarCharValue: id }] }))];
  return {
    send: async (command: unknown) => {
      if (!(command instanceof GetQueryResultsCommand)) throw new Error(`unexpected Athena command ${(command as object).constructor.name}`);
      const token = command.input.NextToken;
      calls.push({ token });
      const start = token === undefined ? 0 : Number(token.replace("page-", ""));
      const size = Math.min(pageSize, command.input.MaxResults ?? 1000);
      const end = start + size;
      return {
        ResultSet: { Rows: rows.slice(start, end), ResultSetMetadata: { ColumnInfo: [{ Name: "member_id", Type: "varchar" }] } },
        NextToken: end < rows.length ? `page-${end}` : undefined,
      };
    },
  } as unknown as AthenaClient;
}

export class FakeBucket {
  readonly objects = new Map<string, string>();
  readonly client = {
    send: async (command: unknown) => {
      if (command instanceof PutObjectCommand) {
        this.objects.set(command.input.Key!, String(command.input.Body));
        return {};
      }
      if (command instanceof GetObjectCommand) {
        const body = this.objects.get(command.input.Key!);
        if (body === undefined) throw Object.assign(new Error("NoSuchKey"), { name: "NoSuchKey" });
        return { Body: { transformToString: async () => body } };
      }
      throw new Error(`unexpected S3 command ${(command as object).constructor.name}`);
    },
  } as unknown as S3Client;

  keys(prefix = ""): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

/** A Customer Profiles domain: profiles by id, searched by `_profileId`; UpdateProfile may be made to throttle. */
export class FakeProfiles {
  readonly profiles = new Map<string, Record<string, string>>();
  readonly updates: { profileId: string; attributes: Record<string, string> }[] = [];
  readonly searches: string[] = [];
  /** Profile ids whose next UpdateProfile fails with ThrottlingException (once each). */
  readonly throttleOnce = new Set<string>();

  /** Profiles `ids`; those in `withToken` already hold the token (a previous run's joiners). */
  constructor(ids: string[], withToken: string[] = []) {
    for (const id of ids) this.profiles.set(id, withToken.includes(id) ? { [ATTRIBUTE]: `|${TOKEN}|` } : {});
  }

  readonly client = {
    send: async (command: unknown) => {
      if (command instanceof SearchProfilesCommand) {
        const id = command.input.Values![0];
        this.searches.push(id);
        const attributes = this.profiles.get(id);
        return { Items: attributes === undefined ? [] : [{ ProfileId: id, Attributes: { ...attributes } }] };
      }
      if (command instanceof UpdateProfileCommand) {
        const id = command.input.ProfileId!;
        if (this.throttleOnce.delete(id)) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 429 } });
        const current = this.profiles.get(id)!;
        for (const [name, value] of Object.entries(command.input.Attributes ?? {})) {
          if (value === "") delete current[name];
          else current[name] = value;
        }
        this.updates.push({ profileId: id, attributes: { ...command.input.Attributes } });
        return { ProfileId: id };
      }
      throw new Error(`unexpected Customer Profiles command ${(command as object).constructor.name}`);
    },
  } as unknown as CustomerProfilesClient;

  attribute(id: string, name: string): string | undefined {
    return this.profiles.get(id)?.[name];
  }
}

export const TOKEN = "recent_buyer";
export const ATTRIBUTE = "AdvancedSegmentTarget";

/** The members table, created on dynalite from the shared schema (partition and sort key). */
export async function createMembersTable(engine: DynaliteEngine): Promise<string> {
  const name = `segment-members-${Math.random().toString(36).slice(2, 8)}`;
  await engine.client.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: SEGMENT_MEMBERS_TABLE.partitionKey, AttributeType: "S" },
        { AttributeName: SEGMENT_MEMBERS_TABLE.sortKey, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: SEGMENT_MEMBERS_TABLE.partitionKey, KeyType: "HASH" },
        { AttributeName: SEGMENT_MEMBERS_TABLE.sortKey, KeyType: "RANGE" },
      ],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
  return name;
}

export const noRetry = { retries: 0, baseDelayMs: 0, sleep: async () => undefined, random: () => 0 };

export function lambdaContext(remainingMs = 600_000): Context {
  return { getRemainingTimeInMillis: () => remainingMs } as unknown as Context;
}

export function silentObservability(counts: Record<string, number> = {}) {
  const quiet = { addContext: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  return recordingObservability(quiet, (name, _d, value) => void (counts[name] = (counts[name] ?? 0) + value));
}

/** Environment the handler modules read when imported (their module-level handler). */
export const HANDLER_ENV = {
  AWS_REGION: "us-east-1",
  RESULTS_BUCKET: "segment-results",
  CHANGES_PREFIX: "changes/",
  MEMBERS_TABLE_NAME: "segment-members",
  ATTRIBUTE_STORE_TARGET: "customerProfiles",
  PROFILES_DOMAIN_NAME: "customers",
  PINPOINT_APPLICATION_ID: "",
  ATTRIBUTE_WRITE_CONCURRENCY: "4",
};
