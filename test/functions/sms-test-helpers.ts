/**
 * Test helpers for the SMS handler tests: fixture events, a Lambda context, silent observability,
 * environment and clock control, and in-memory fakes of the DynamoDB tables the handlers use
 * (wired into aws-sdk-client-mock so the exact SDK inputs stay assertable).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from "@aws-sdk/client-dynamodb";
import { BatchGetCommand, GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context } from "aws-lambda";
import type { AwsClientStub } from "aws-sdk-client-mock";

export const FIXTURES = path.join(__dirname, "..", "fixtures", "sms");

export function fixtureText(name: string): string {
  return readFileSync(path.join(FIXTURES, name), "utf8");
}

export function fixtureJson<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

export function fakeContext(remainingMs = 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "test-function",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:test-function",
    memoryLimitInMB: "256",
    awsRequestId: "c6af9ac6-7b61-11e6-9a41-93e812345678",
    logGroupName: "/aws/lambda/test-function",
    logStreamName: "2026/03/02/[$LATEST]abcdef",
    getRemainingTimeInMillis: () => remainingMs,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** A logger that writes nothing and a metrics emitter that records metric names instead of printing. */
export function silentObservability(): { logger: Logger; metrics: Metrics; metricNames: string[] } {
  const previous = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = "true";
  const metrics = new Metrics({ namespace: "Test", serviceName: "test" });
  if (previous === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = previous;
  const metricNames: string[] = [];
  const addMetric = metrics.addMetric.bind(metrics);
  metrics.addMetric = (name, unit, value, resolution) => {
    metricNames.push(name);
    return addMetric(name, unit, value, resolution);
  };
  return { logger: new Logger({ serviceName: "test", logLevel: "SILENT" }), metrics, metricNames };
}

/** Runs `fn` with the given variables set (undefined = unset), restoring the environment afterwards. */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Pins Date.now to `ms` until the returned function is called. */
export function freezeNow(ms: number): () => void {
  const original = Date.now;
  Date.now = () => ms;
  return () => {
    Date.now = original;
  };
}

/** Captures everything written to stdout/stderr while `fn` runs. */
export async function captureOutput(fn: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const capture = (chunk: string | Uint8Array): boolean => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  try {
    await fn().catch(() => undefined);
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
  return chunks.join("");
}

export function conditionalCheckFailed(item?: Record<string, AttributeValue>): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: { httpStatusCode: 400 }, Item: item });
}

/** Applies "SET #a = :a, b = :b" style expressions (names resolved) to an item. */
function applySet<V>(item: Record<string, V>, expression: string, names: Record<string, string> = {}, values: Record<string, V> = {}): void {
  const set = /SET (.*?)(?: REMOVE | ADD |$)/.exec(expression)?.[1];
  if (set === undefined) return;
  for (const assignment of set.split(/,\s*(?![^()]*\))/)) {
    const [lhs, rhs] = assignment.split("=").map((s) => s.trim());
    const attribute = names[lhs!] ?? lhs!;
    const ifNotExists = /if_not_exists\((\S+), (:\w+)\) \+ (:\w+)/.exec(rhs!);
    if (ifNotExists) {
      const current = (item[ifNotExists[1]!] as unknown as number | undefined) ?? (values[ifNotExists[2]!] as unknown as number);
      item[attribute] = (current + (values[ifNotExists[3]!] as unknown as number)) as unknown as V;
    } else {
      item[attribute] = values[rhs!]!;
    }
  }
  const remove = /REMOVE (.*?)(?: SET | ADD |$)/.exec(expression)?.[1];
  for (const attribute of remove?.split(/,\s*/) ?? []) delete item[names[attribute] ?? attribute];
}

/**
 * An in-memory Powertools idempotency table behind a mocked DynamoDBClient: conditional PutItem,
 * UpdateItem (SET), GetItem, DeleteItem, keyed on `id`.
 */
export function fakePowertoolsTable(mock: AwsClientStub<DynamoDBClient>): Map<string, Record<string, AttributeValue>> {
  const items = new Map<string, Record<string, AttributeValue>>();
  mock.on(PutItemCommand).callsFake((input: { Item: Record<string, AttributeValue> }) => {
    const id = input.Item.id!.S!;
    const existing = items.get(id);
    if (existing !== undefined) {
      const nowSeconds = Date.now() / 1000;
      const expired = Number(existing.expiration?.N ?? 0) < nowSeconds;
      const inProgressExpired =
        existing.status?.S === "INPROGRESS" &&
        existing.in_progress_expiration !== undefined &&
        Number(existing.in_progress_expiration.N) < Date.now();
      if (!expired && !inProgressExpired) throw conditionalCheckFailed(existing);
    }
    items.set(id, { ...input.Item });
    return {};
  });
  mock.on(UpdateItemCommand).callsFake(
    (input: { Key: Record<string, AttributeValue>; UpdateExpression: string; ExpressionAttributeNames: Record<string, string>; ExpressionAttributeValues: Record<string, AttributeValue> }) => {
      const item = items.get(input.Key.id!.S!) ?? { ...input.Key };
      applySet(item, input.UpdateExpression, input.ExpressionAttributeNames, input.ExpressionAttributeValues);
      items.set(input.Key.id!.S!, item);
      return {};
    },
  );
  mock.on(GetItemCommand).callsFake((input: { Key: Record<string, AttributeValue> }) => ({ Item: items.get(input.Key.id!.S!) }));
  mock.on(DeleteItemCommand).callsFake((input: { Key: Record<string, AttributeValue> }) => {
    items.delete(input.Key.id!.S!);
    return {};
  });
  return items;
}

type Item = Record<string, unknown>;

/**
 * In-memory tables behind a mocked DynamoDBDocumentClient, for the handlers' own tables. Supports
 * the expressions the SMS adapters use: SET (with if_not_exists(+)), REMOVE, ADD of a string set,
 * and their condition expressions.
 */
export class FakeDocumentTables {
  readonly tables = new Map<string, Map<string, Item>>();

  constructor(
    mock: AwsClientStub<DynamoDBDocumentClient>,
    private readonly keys: Record<string, string>,
  ) {
    mock.on(GetCommand).callsFake((input: { TableName: string; Key: Item }) => {
      const item = this.table(input.TableName).get(this.keyOf(input.TableName, input.Key));
      return { Item: item === undefined ? undefined : structuredClone(item) };
    });
    mock.on(BatchGetCommand).callsFake((input: { RequestItems: Record<string, { Keys: Item[] }> }) => ({
      Responses: Object.fromEntries(
        Object.entries(input.RequestItems).map(([tableName, { Keys }]) => [
          tableName,
          Keys.map((key) => this.table(tableName).get(this.keyOf(tableName, key)))
            .filter((item): item is Item => item !== undefined)
            .map((item) => structuredClone(item)),
        ]),
      ),
      UnprocessedKeys: {},
    }));
    mock.on(UpdateCommand).callsFake(
      (input: {
        TableName: string;
        Key: Item;
        UpdateExpression: string;
        ConditionExpression?: string;
        ExpressionAttributeNames?: Record<string, string>;
        ExpressionAttributeValues?: Record<string, unknown>;
      }) => {
        const table = this.table(input.TableName);
        const key = this.keyOf(input.TableName, input.Key);
        const existing = table.get(key);
        const values = input.ExpressionAttributeValues ?? {};
        if (input.ConditionExpression !== undefined && !evaluateCondition(input.ConditionExpression, existing, values, input.ExpressionAttributeNames ?? {})) {
          throw conditionalCheckFailed();
        }
        const item: Item = existing ?? { ...input.Key };
        applySet(item, input.UpdateExpression, input.ExpressionAttributeNames, values);
        const add = /ADD (\S+) (:\w+)/.exec(input.UpdateExpression);
        if (add) {
          const current = (item[add[1]!] as Set<string> | undefined) ?? new Set<string>();
          for (const v of values[add[2]!] as Set<string>) current.add(v);
          item[add[1]!] = current;
        }
        table.set(key, item);
        return {};
      },
    );
  }

  table(name: string): Map<string, Item> {
    let table = this.tables.get(name);
    if (table === undefined) {
      table = new Map();
      this.tables.set(name, table);
    }
    return table;
  }

  private keyOf(tableName: string, key: Item): string {
    const attribute = this.keys[tableName] ?? Object.keys(key)[0]!;
    return String(key[attribute]);
  }

  get(tableName: string, key: string): Item | undefined {
    return this.table(tableName).get(key);
  }

  put(tableName: string, item: Item): void {
    const attribute = this.keys[tableName]!;
    this.table(tableName).set(String(item[attribute]), item);
  }
}

/** Evaluates the handful of condition shapes the SMS adapters use. */
function evaluateCondition(expression: string, item: Item | undefined, values: Record<string, unknown>, names: Record<string, string>): boolean {
  const attr = (token: string): unknown => item?.[names[token] ?? token];
  const value = (token: string): unknown => (token.startsWith(":") ? values[token] : attr(token));
  const term = (text: string): boolean => {
    const t = text.trim().replace(/^\((.*)\)$/, "$1");
    if (/ AND /.test(t)) return t.split(/ AND /).every(term);
    const notExists = /^attribute_not_exists\((\S+)\)$/.exec(t);
    if (notExists) return item === undefined || attr(notExists[1]!) === undefined;
    const cmp = /^(\S+) (<=|<>|<|=) (\S+)$/.exec(t);
    if (!cmp) throw new Error(`Unsupported condition: ${t}`);
    const [, l, op, r] = cmp;
    const a = value(l!) as number | string;
    const b = value(r!) as number | string;
    if (a === undefined) return op === "<>";
    switch (op) {
      case "<=":
        return a <= b;
      case "<":
        return a < b;
      case "=":
        return a === b;
      default:
        return a !== b;
    }
  };
  // Top-level OR (parentheses group AND terms).
  return splitTopLevel(expression, " OR ").some(term);
}

function splitTopLevel(text: string, separator: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth--;
    else if (depth === 0 && text.startsWith(separator, i)) {
      parts.push(text.slice(start, i));
      start = i + separator.length;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
