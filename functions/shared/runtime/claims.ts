/**
 * The two halves of a leased claim record that #9's send outcomes and #13's dial outcomes share.
 * A delivery claims a record with a conditional write that sets `claimToken` and `leaseUntil`
 * (its own UpdateExpression: what it records differs per architecture); then:
 * - a delivery that lost the claim reads the record's status (`claimedStatus`);
 * - the winner writes the outcome and releases the lease, only while it still holds the claim
 *   (`finishClaim`): a delivery whose lease expired and was taken over cannot overwrite the
 *   newer outcome.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../sms/sms-preferences";

/** The status of a record whose claim failed; undefined when it vanished since (TTL). */
export async function claimedStatus(client: DynamoDBDocumentClient, tableName: string, key: Record<string, string>): Promise<string | undefined> {
  const { Item } = await client.send(
    new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true, ProjectionExpression: "#status", ExpressionAttributeNames: { "#status": "status" } }),
  );
  return Item?.status as string | undefined;
}

export interface ClaimFinish {
  tableName: string;
  key: Record<string, string>;
  claimToken: string;
  status: string;
  /** Epoch ms, recorded as `updatedAt`. */
  now: number;
  /** Further attributes to set; an undefined value is left as it is. */
  attributes: Record<string, string | number | boolean | undefined>;
}

/**
 * Sets the status, `updatedAt` and the given attributes and removes the lease, if `claimToken` still
 * holds the claim. False when it does not (the lease expired and another delivery took it over).
 */
export async function finishClaim(client: DynamoDBDocumentClient, finish: ClaimFinish): Promise<boolean> {
  const set = ["#status = :status", "updatedAt = :updatedAt"];
  // Every attribute goes through a name placeholder (`segments` is a DynamoDB reserved word), and an
  // unused placeholder is an error, so names are added only with their attribute.
  const names: Record<string, string> = { "#status": "status" };
  const values: Record<string, string | number | boolean> = { ":status": finish.status, ":updatedAt": new Date(finish.now).toISOString(), ":claimToken": finish.claimToken };
  for (const [attribute, value] of Object.entries(finish.attributes)) {
    if (value === undefined) continue;
    set.push(`#${attribute} = :${attribute}`);
    names[`#${attribute}`] = attribute;
    values[`:${attribute}`] = value;
  }
  try {
    await client.send(
      new UpdateCommand({
        TableName: finish.tableName,
        Key: finish.key,
        UpdateExpression: `SET ${set.join(", ")} REMOVE claimToken, leaseUntil`,
        ConditionExpression: "claimToken = :claimToken",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
    return true;
  } catch (error) {
    if (isConditionalCheckFailed(error)) return false;
    throw error;
  }
}
