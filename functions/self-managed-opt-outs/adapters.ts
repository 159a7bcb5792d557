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
 * Records which non-idempotent steps (publish, reply) have completed for an inbound message, so a
 * retry (Powertools deletes its idempotency record when the function throws) skips them. Items
 * live in the idempotency table under `steps#<inboundMessageId>`, a key Powertools never uses,
 * and expire with the same TTL attribute.
 */
export interface StepJournal {
  completedSteps(inboundMessageId: string): Promise<Set<string>>;
  markCompleted(inboundMessageId: string, step: string): Promise<void>;
}

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

  async completedSteps(inboundMessageId: string): Promise<Set<string>> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: this.key(inboundMessageId), ConsistentRead: true }),
    );
    const steps = (Item as { steps?: Set<string> } | undefined)?.steps;
    return new Set(steps ?? []);
  }

  async markCompleted(inboundMessageId: string, step: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: this.key(inboundMessageId),
        UpdateExpression: "ADD steps :step SET expiration = :expiration",
        ExpressionAttributeValues: {
          ":step": new Set([step]),
          ":expiration": Math.floor(this.now() / 1000) + this.ttlSeconds,
        },
      }),
    );
  }
}
