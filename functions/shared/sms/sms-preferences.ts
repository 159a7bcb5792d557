/**
 * The SMS preference table: our own durable record of who opted out of (or back into) SMS.
 *
 * Contract (shared by the self-managed opt-out handler, which writes it, and every promotional
 * sender, which must read it):
 *   partition key `phoneNumber` (S, E.164)
 *   status                "OPTED_OUT" | "OPTED_IN"
 *   updatedAt             ISO-8601 time the item was last written
 *   lastInboundMessageId  the inbound SMS that caused the current status
 *   source                the keyword class that caused it: "OPT_OUT" | "OPT_IN"
 *   keyword               the normalized keyword the customer sent
 *   lastEventAt           (N) epoch ms at which that inbound message was published; writes carry
 *                         a condition on it so an older message that is retried late (STOP
 *                         retried after a later START) cannot overwrite a newer decision.
 *   confirmationOwedSince (S, ISO-8601) and confirmationOwedFor (S, inbound message id): present
 *                         while the opt-out confirmation of the current STOP could not be sent
 *                         (the number was listed anyway; the handler alarms on ConfirmationOwed).
 *                         Every newer recorded message removes them. Kept here, not in the step
 *                         journal, because the journal expires after 24 h and the debt must not.
 *   permanentFailureAt    (N) epoch ms of a delivery event that says the number cannot receive SMS
 *   permanentFailureType  (S) its event type (TEXT_INVALID, TEXT_BLOCKED), permanentFailureMessageId
 *                         (S) its message; written by the file drop's delivery-event consumer
 *                         (sms-delivery-events.ts), read by its sender (later sends skip the
 *                         number). A later opt-in (START) removes them; a failure event older
 *                         than the item's lastEventAt (the latest keyword) is not recorded.
 * Other attributes on the item belong to other systems and are preserved (UpdateItem, not PutItem).
 */
import { BatchGetCommand, GetCommand, UpdateCommand, type BatchGetCommandOutput, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

export type PreferenceStatus = "OPTED_OUT" | "OPTED_IN";

export interface PreferenceRecord {
  phoneNumber: string;
  /** Undefined on an item that holds only a recorded permanent failure. */
  status?: PreferenceStatus;
  lastEventAt?: number;
  lastInboundMessageId?: string;
  permanentFailureAt?: number;
  permanentFailureType?: string;
}

export interface PermanentFailure {
  phoneNumber: string;
  eventType: string;
  messageId: string;
  /** The delivery event's eventTimestamp (epoch ms). */
  eventAt: number;
  /** ISO-8601 write time. */
  updatedAt: string;
}

export interface PreferenceUpdate {
  phoneNumber: string;
  status: PreferenceStatus;
  source: "OPT_OUT" | "OPT_IN";
  keyword: string;
  inboundMessageId: string;
  /** Epoch ms at which the inbound message was published. */
  eventAt: number;
  /** ISO-8601 write time. */
  updatedAt: string;
}

export type RecordResult = { outcome: "recorded" } | { outcome: "stale"; current: PreferenceRecord | undefined };

export interface PreferenceStore {
  get(phoneNumber: string): Promise<PreferenceRecord | undefined>;
  /** The items of several numbers at once (BatchGetItem, strongly consistent); absent numbers are left out. */
  getMany?(phoneNumbers: readonly string[]): Promise<Map<string, PreferenceRecord>>;
  /** Writes the new status unless the item already reflects a newer inbound message. */
  record(update: PreferenceUpdate): Promise<RecordResult>;
}

/** Where delivery outcomes record a number that cannot receive SMS (see the contract above). */
export interface PermanentFailureStore {
  /** Records the failure unless the number's latest keyword (STOP/START) is newer; returns whether it was recorded. */
  recordPermanentFailure(failure: PermanentFailure): Promise<boolean>;
}

/** Where the self-managed opt-out handler records a STOP confirmation it owes. */
export interface ConfirmationOwedStore {
  /**
   * Marks the confirmation of `inboundMessageId` as owed, unless a newer message has been recorded
   * for the number since (then nothing is owed for this one). Returns whether it was marked.
   */
  markConfirmationOwed(owed: { phoneNumber: string; inboundMessageId: string; since: string }): Promise<boolean>;
}

export class DynamoDbPreferenceStore implements PreferenceStore, ConfirmationOwedStore, PermanentFailureStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(phoneNumber: string): Promise<PreferenceRecord | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { phoneNumber },
        // An opt-out recorded a moment ago must be seen by the next promotional send.
        ConsistentRead: true,
        ProjectionExpression: "phoneNumber, #status, lastEventAt, lastInboundMessageId, permanentFailureAt, permanentFailureType",
        ExpressionAttributeNames: { "#status": "status" },
      }),
    );
    if (Item === undefined) return undefined;
    return Item as PreferenceRecord;
  }

  async getMany(phoneNumbers: readonly string[]): Promise<Map<string, PreferenceRecord>> {
    const found = new Map<string, PreferenceRecord>();
    const unique = [...new Set(phoneNumbers)];
    for (let i = 0; i < unique.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = unique.slice(i, i + 100).map((phoneNumber) => ({ phoneNumber }));
      for (let attempt = 1; keys !== undefined && keys.length > 0; attempt++) {
        if (attempt > 5) throw new Error(`BatchGetItem left ${keys.length} preference keys unprocessed`);
        const response: BatchGetCommandOutput = await this.client.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: keys,
                ConsistentRead: true,
                ProjectionExpression: "phoneNumber, #status, lastEventAt, lastInboundMessageId, permanentFailureAt, permanentFailureType",
                ExpressionAttributeNames: { "#status": "status" },
              },
            },
          }),
        );
        for (const item of response.Responses?.[this.tableName] ?? []) found.set(String(item.phoneNumber), item as PreferenceRecord);
        keys = response.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return found;
  }

  async record(update: PreferenceUpdate): Promise<RecordResult> {
    // An opt-in (START) also clears a recorded permanent delivery failure: the customer says the
    // number receives SMS again.
    const clearFailure = update.status === "OPTED_IN" ? ", permanentFailureAt, permanentFailureType, permanentFailureMessageId" : "";
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phoneNumber: update.phoneNumber },
          UpdateExpression: `SET #status = :status, updatedAt = :updatedAt, lastInboundMessageId = :inboundMessageId, #source = :source, keyword = :keyword, lastEventAt = :eventAt REMOVE confirmationOwedSince, confirmationOwedFor${clearFailure}`,
          ConditionExpression: "attribute_not_exists(lastEventAt) OR lastEventAt <= :eventAt",
          ExpressionAttributeNames: { "#status": "status", "#source": "source" },
          ExpressionAttributeValues: {
            ":status": update.status,
            ":updatedAt": update.updatedAt,
            ":inboundMessageId": update.inboundMessageId,
            ":source": update.source,
            ":keyword": update.keyword,
            ":eventAt": update.eventAt,
          },
        }),
      );
      return { outcome: "recorded" };
    } catch (error) {
      if (isConditionalCheckFailed(error)) {
        return { outcome: "stale", current: await this.get(update.phoneNumber) };
      }
      throw error;
    }
  }

  async recordPermanentFailure(failure: PermanentFailure): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phoneNumber: failure.phoneNumber },
          UpdateExpression: "SET permanentFailureAt = :eventAt, permanentFailureType = :eventType, permanentFailureMessageId = :messageId, updatedAt = :updatedAt",
          // Not over a newer keyword (a START after the failure), and never moving backwards.
          ConditionExpression: "(attribute_not_exists(lastEventAt) OR lastEventAt < :eventAt) AND (attribute_not_exists(permanentFailureAt) OR permanentFailureAt <= :eventAt)",
          ExpressionAttributeValues: { ":eventAt": failure.eventAt, ":eventType": failure.eventType, ":messageId": failure.messageId, ":updatedAt": failure.updatedAt },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async markConfirmationOwed(owed: { phoneNumber: string; inboundMessageId: string; since: string }): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phoneNumber: owed.phoneNumber },
          UpdateExpression: "SET confirmationOwedSince = :since, confirmationOwedFor = :inboundMessageId",
          ConditionExpression: "lastInboundMessageId = :inboundMessageId",
          ExpressionAttributeValues: { ":since": owed.since, ":inboundMessageId": owed.inboundMessageId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

/** True for a DynamoDB conditional-write rejection (checked by name: bundles may hold two copies). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === "ConditionalCheckFailedException";
}
