/**
 * Thin SDK adapters for the self-managed opt-out handler. Each is an interface plus one SDK
 * implementation; the orchestration in process.ts only sees the interfaces.
 */
import { UpdateEndpointCommand, type PinpointClient } from "@aws-sdk/client-pinpoint";
import {
  DeleteOptedOutNumberCommand,
  PutOptedOutNumberCommand,
  type PinpointSMSVoiceV2Client,
} from "@aws-sdk/client-pinpoint-sms-voice-v2";
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isConditionalCheckFailed } from "../shared/sms/sms-preferences";
import { pinpointEndpointId } from "./plan";

/** Where an opt-out is enforced on the sending side. Both calls are idempotent. */
export interface OptOutEnforcer {
  optOut(phoneNumber: string): Promise<void>;
  optIn(phoneNumber: string): Promise<void>;
}

/** End User Messaging SMS opt-out list: PutOptedOutNumber / DeleteOptedOutNumber. */
export class OptOutListEnforcer implements OptOutEnforcer {
  constructor(
    private readonly client: PinpointSMSVoiceV2Client,
    private readonly optOutListName: string,
  ) {}

  async optOut(phoneNumber: string): Promise<void> {
    // An upsert: adding a number that is already on the list succeeds.
    await this.client.send(new PutOptedOutNumberCommand({ OptOutListName: this.optOutListName, OptedOutNumber: phoneNumber }));
  }

  async optIn(phoneNumber: string): Promise<void> {
    try {
      await this.client.send(new DeleteOptedOutNumberCommand({ OptOutListName: this.optOutListName, OptedOutNumber: phoneNumber }));
    } catch (error) {
      // The number is not on the list (never opted out, or a retry after a successful delete):
      // already in the desired state. A missing LIST is a configuration error and is rethrown.
      const e = error as { name?: string; ResourceType?: string };
      if (e.name === "ResourceNotFoundException" && e.ResourceType === "opted-out-number") return;
      throw error;
    }
  }
}

/** Legacy Pinpoint: UpdateEndpoint with OptOut ALL / NONE on the endpoint derived from the number. */
export class PinpointEndpointEnforcer implements OptOutEnforcer {
  constructor(
    private readonly client: PinpointClient,
    private readonly applicationId: string,
  ) {}

  optOut(phoneNumber: string): Promise<void> {
    return this.update(phoneNumber, "ALL");
  }

  optIn(phoneNumber: string): Promise<void> {
    return this.update(phoneNumber, "NONE");
  }

  private async update(phoneNumber: string, optOut: "ALL" | "NONE"): Promise<void> {
    await this.client.send(
      new UpdateEndpointCommand({
        ApplicationId: this.applicationId,
        EndpointId: pinpointEndpointId(phoneNumber),
        EndpointRequest: { Address: phoneNumber, ChannelType: "SMS", OptOut: optOut },
      }),
    );
  }
}

/**
 * Where a non-idempotent step (publish, reply) stands for one inbound message. Written BEFORE the
 * side effect (ATTEMPTING) and after it (DONE, UNKNOWN or NOT_SENT), so a redelivery never mistakes
 * "sent, but the write after it failed" for "not sent":
 *   absent / NOT_SENT  not attempted, or proven not sent: attempt it
 *   ATTEMPTING         a previous attempt did not record how it ended (a crash, or the write after
 *                      the side effect failed): its outcome is unknown
 *   DONE / UNKNOWN     settled: never repeated
 * Why not idempotency keys downstream: SendTextMessage and Pinpoint SendMessages take no client
 * token, and the events topic is a standard SNS topic (only FIFO topics de-duplicate), so only our
 * own record can keep a side effect single.
 */
export type StepState = "ATTEMPTING" | "DONE" | "UNKNOWN" | "NOT_SENT";

export interface StepJournal {
  read(inboundMessageId: string): Promise<Map<string, StepState>>;
  /**
   * Claims `step` for an attempt if it is still in state `expected` (undefined: absent). False when
   * it is not (another attempt got there first); throws when the write fails, before any side effect.
   */
  begin(inboundMessageId: string, step: string, expected: StepState | undefined): Promise<boolean>;
  finish(inboundMessageId: string, step: string, state: Exclude<StepState, "ATTEMPTING">): Promise<void>;
}

const STEP_STATES: ReadonlySet<string> = new Set<StepState>(["ATTEMPTING", "DONE", "UNKNOWN", "NOT_SENT"]);

/**
 * Items live in the idempotency table under `steps#<inboundMessageId>`, a key Powertools never
 * uses, one attribute `step_<name>` per step, and expire with Powertools' TTL attribute. Items of
 * the previous version (a `steps` string set of completed steps) read as DONE.
 */
export class DynamoDbStepJournal implements StepJournal {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  private key(inboundMessageId: string): { id: string } {
    return { id: `steps#${inboundMessageId}` };
  }

  async read(inboundMessageId: string): Promise<Map<string, StepState>> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(inboundMessageId), ConsistentRead: true }),
    );
    const states = new Map<string, StepState>();
    for (const step of (Item?.steps as Set<string> | undefined) ?? []) states.set(step, "DONE");
    for (const [attribute, value] of Object.entries(Item ?? {})) {
      if (attribute.startsWith("step_") && typeof value === "string" && STEP_STATES.has(value)) {
        states.set(attribute.slice("step_".length), value as StepState);
      }
    }
    return states;
  }

  async begin(inboundMessageId: string, step: string, expected: StepState | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: this.key(inboundMessageId),
          UpdateExpression: "SET #step = :attempting, expiration = :expiration",
          ConditionExpression: expected === undefined ? "attribute_not_exists(#step)" : "#step = :expected",
          ExpressionAttributeNames: { "#step": `step_${step}` },
          ExpressionAttributeValues: {
            ":attempting": "ATTEMPTING",
            ":expiration": this.expiration(),
            ...(expected === undefined ? {} : { ":expected": expected }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async finish(inboundMessageId: string, step: string, state: Exclude<StepState, "ATTEMPTING">): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(inboundMessageId),
        UpdateExpression: "SET #step = :state, expiration = :expiration",
        ExpressionAttributeNames: { "#step": `step_${step}` },
        ExpressionAttributeValues: { ":state": state, ":expiration": this.expiration() },
      }),
    );
  }

  private expiration(): number {
    return Math.floor(this.now() / 1000) + this.ttlSeconds;
  }
}
