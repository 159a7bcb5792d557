import { ConditionalCheckFailedException, PutItemCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import { IDEMPOTENCY_TABLE, SMS_OUTCOME_TABLE } from "../../functions/shared/tables";
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
