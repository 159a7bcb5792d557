/**
 * A real DynamoDB engine for adapter tests: dynalite, in-process, in memory, on a free loopback
 * port. It validates expressions, reserved words, conditions and key schemas, which the SDK mocks
 * never do. Tables are created from the shared definitions in functions/shared/runtime/tables.ts, the same
 * ones the components create theirs from.
 *
 * What dynalite does not do, and how tests cover it:
 * - TTL: `UpdateTimeToLive` is unknown to it and items never expire. Code that treats an expired
 *   item as absent must say so in its conditions; tests write items with past expiry instead.
 * - `ReturnValuesOnConditionCheckFailure: ALL_OLD`: ignored (no `Item` on the error). Use
 *   `withAllOldOnConditionFailure` below, which emulates it and is itself tested.
 *
 * The engine's clients send for real even while another test file's aws-sdk-client-mock stubs the
 * client prototypes (mockClient defines `send` on the prototype for as long as its suite lives):
 * each instance carries the SDK's own `send`.
 */
import type { AddressInfo } from "node:net";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, GetItemCommand, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { TableSchema } from "../../functions/shared/runtime/tables";

// dynalite ships no types; this is the part of its API the tests use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require("dynalite") as (options: Record<string, number>) => {
  listen(port: number, host: string, callback: () => void): void;
  address(): AddressInfo;
  close(callback: () => void): void;
};

export interface DynaliteEngine {
  /** Client options pointing at the engine (dummy credentials, one attempt). */
  clientConfig: DynamoDBClientConfig;
  client: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  /** Creates a table with exactly the shared schema; returns its (unique) name. */
  createTable(schema: TableSchema, prefix?: string): Promise<string>;
  stop(): Promise<void>;
}

let tableCounter = 0;

export async function startDynalite(): Promise<DynaliteEngine> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  const clientConfig: DynamoDBClientConfig = {
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  };
  const client = withSdkSend(new DynamoDBClient(clientConfig), DynamoDBClient);
  return {
    clientConfig,
    client,
    documents: withSdkSend(DynamoDBDocumentClient.from(client), DynamoDBDocumentClient),
    async createTable(schema, prefix = "table") {
      tableCounter += 1;
      const name = `${prefix}-${tableCounter}`;
      await client.send(
        new CreateTableCommand({
          TableName: name,
          AttributeDefinitions: [{ AttributeName: schema.partitionKey, AttributeType: "S" }],
          KeySchema: [{ AttributeName: schema.partitionKey, KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      );
      return name;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve) => server.close(resolve));
    },
  };
}

/** Gives an instance the SDK's own `send` (Smithy's Client#send), bypassing a stub on its class's prototype. */
function withSdkSend<T extends { send: unknown }>(instance: T, Class: { prototype: object }): T {
  const sdkSend = (Object.getPrototypeOf(Class.prototype) as { send: (...args: unknown[]) => unknown }).send;
  instance.send = sdkSend.bind(instance) as T["send"];
  return instance;
}

/**
 * Wraps a client (low-level, or a document client together with the engine's low-level client) so
 * a ConditionalCheckFailedException carries the item as it was (`Item`, in
 * DynamoDB JSON), as DynamoDB does when the request asks for
 * `ReturnValuesOnConditionCheckFailure: "ALL_OLD"` and dynalite does not. The item is read right
 * after the failure, which is what the condition saw as long as nothing else writes in between
 * (true in a single-threaded test).
 */
export function withAllOldOnConditionFailure<C extends DynamoDBClient | DynamoDBDocumentClient>(client: C, engineClient?: DynamoDBClient): C {
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  // Reads go through a low-level client, so the attached item is in DynamoDB JSON as AWS returns it.
  const reader = engineClient ?? (client as DynamoDBClient);
  const read = reader.send.bind(reader) as (command: unknown) => Promise<unknown>;
  const keyAttributes = new Map<string, string[]>();
  const keyOf = async (tableName: string, item: Record<string, unknown>): Promise<Record<string, unknown>> => {
    let names = keyAttributes.get(tableName);
    if (names === undefined) {
      const { Table } = (await read(new DescribeTableCommand({ TableName: tableName }))) as { Table?: { KeySchema?: { AttributeName?: string }[] } };
      names = (Table?.KeySchema ?? []).map((k) => k.AttributeName ?? "");
      keyAttributes.set(tableName, names);
    }
    return Object.fromEntries(names.map((name) => [name, item[name]]));
  };
  const wrapped = Object.create(client) as C;
  (wrapped as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    try {
      return await send(command);
    } catch (error) {
      type Input = { TableName?: string; Key?: Record<string, unknown>; Item?: Record<string, unknown>; ReturnValuesOnConditionCheckFailure?: string };
      const input = (command as { input?: Input }).input;
      if ((error as Error).name !== "ConditionalCheckFailedException" || input?.ReturnValuesOnConditionCheckFailure !== "ALL_OLD" || !input.TableName) throw error;
      // UpdateItem and DeleteItem name the key; PutItem carries it inside the new item.
      const key = input.Key ?? (await keyOf(input.TableName, input.Item ?? {}));
      // A document client's key is plain JS; every table here has a string key (TableSchema).
      const wireKey = Object.fromEntries(Object.entries(key).map(([name, value]) => [name, typeof value === "string" ? { S: value } : value]));
      const { Item } = (await read(new GetItemCommand({ TableName: input.TableName, Key: wireKey as never, ConsistentRead: true }))) as { Item?: unknown };
      Object.assign(error as object, { Item });
      throw error;
    }
  };
  return wrapped;
}
