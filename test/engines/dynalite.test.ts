import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { expect } from "chai";
import { IDEMPOTENCY_TABLE, SMS_OUTCOME_TABLE } from "../../functions/shared/runtime/tables";
import { startDynalite, withAllOldOnConditionFailure, type DynaliteEngine } from "./dynalite";

describe("dynalite engine (test harness)", () => {
  let engine: DynaliteEngine;
  before(async () => {
    engine = await startDynalite();
  });
  after(async () => engine.stop());

  it("rejects a reserved word in an update expression, as DynamoDB does", async () => {
    const table = await engine.createTable(SMS_OUTCOME_TABLE);
    let caught: unknown;
    try {
      await engine.client.send(
        new UpdateItemCommand({ TableName: table, Key: { rowId: { S: "r1" } }, UpdateExpression: "SET segments = :s", ExpressionAttributeValues: { ":s": { N: "1" } } }),
      );
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).name).to.equal("ValidationException");
    expect((caught as Error).message).to.contain("reserved keyword: segments");
  });

  it("rejects a key that does not match the table's key schema", async () => {
    const table = await engine.createTable(IDEMPOTENCY_TABLE);
    let caught: unknown;
    try {
      await engine.client.send(new PutItemCommand({ TableName: table, Item: { rowId: { S: "x" } } }));
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).name).to.equal("ValidationException");
  });

  it("emulates ReturnValuesOnConditionCheckFailure ALL_OLD: the failed condition carries the stored item", async () => {
    const table = await engine.createTable(IDEMPOTENCY_TABLE);
    const client = withAllOldOnConditionFailure(engine.client);
    await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: "k" }, status: { S: "COMPLETED" } } }));
    let caught: unknown;
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { id: { S: "k" }, status: { S: "INPROGRESS" } },
          ConditionExpression: "attribute_not_exists(id)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ConditionalCheckFailedException);
    expect((caught as { Item?: unknown }).Item).to.deep.equal({ id: { S: "k" }, status: { S: "COMPLETED" } });
  });

  it("emulates ALL_OLD for an update too, reading the item by its key", async () => {
    const table = await engine.createTable(SMS_OUTCOME_TABLE);
    const client = withAllOldOnConditionFailure(engine.client);
    await client.send(new PutItemCommand({ TableName: table, Item: { rowId: { S: "r" }, n: { N: "1" } } }));
    let caught: unknown;
    try {
      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: { rowId: { S: "r" } },
          UpdateExpression: "SET n = :two",
          ConditionExpression: "n = :zero",
          ExpressionAttributeValues: { ":two": { N: "2" }, ":zero": { N: "0" } },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      caught = error;
    }
    expect((caught as { Item?: unknown }).Item).to.deep.equal({ rowId: { S: "r" }, n: { N: "1" } });
  });

  it("emulates ALL_OLD through a document client, attaching the item in DynamoDB JSON", async () => {
    const table = await engine.createTable(SMS_OUTCOME_TABLE);
    const documents = withAllOldOnConditionFailure(engine.documents, engine.client);
    await documents.send(new PutCommand({ TableName: table, Item: { rowId: "r", status: "SENT" } }));
    let caught: unknown;
    try {
      await documents.send(
        new PutCommand({ TableName: table, Item: { rowId: "r", status: "SENDING" }, ConditionExpression: "attribute_not_exists(rowId)", ReturnValuesOnConditionCheckFailure: "ALL_OLD" }),
      );
    } catch (error) {
      caught = error;
    }
    expect((caught as { Item?: unknown }).Item).to.deep.equal({ rowId: { S: "r" }, status: { S: "SENT" } });
  });

  it("sends for real even while another suite stubs the client prototypes with aws-sdk-client-mock", async () => {
    const stubs = [mockClient(DynamoDBClient), mockClient(DynamoDBDocumentClient)];
    try {
      const table = await engine.createTable(SMS_OUTCOME_TABLE);
      await engine.documents.send(new PutCommand({ TableName: table, Item: { rowId: "real" } }));
      const { Item } = await engine.client.send(new GetItemCommand({ TableName: table, Key: { rowId: { S: "real" } } }));
      expect(Item).to.deep.equal({ rowId: { S: "real" } });
    } finally {
      for (const stub of stubs) stub.restore();
    }
  });

  it("leaves the error alone when ALL_OLD was not asked for", async () => {
    const table = await engine.createTable(IDEMPOTENCY_TABLE);
    const client = withAllOldOnConditionFailure(engine.client);
    await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: "k" } } }));
    let caught: unknown;
    try {
      await client.send(new PutItemCommand({ TableName: table, Item: { id: { S: "k" } }, ConditionExpression: "attribute_not_exists(id)" }));
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).name).to.equal("ConditionalCheckFailedException");
    expect((caught as { Item?: unknown }).Item).to.equal(undefined);
  });
});
