/**
 * The dialer's own record of every call, keyed by dialId (= the call's ClientToken, from campaign
 * and recipient). It is the dial's idempotency guard together with the ClientToken, not instead of
 * it: Connect honours a token for 7 days, and older API documents say a token whose contact has
 * already ended starts a new contact, so a call whose outcome is recorded is never placed again,
 * whatever the token would do.
 *
 * - claim   conditional write: only an absent item, a RETRYING one or a DIALING one whose lease
 *           (the claiming invocation's deadline) has passed can be claimed. A final status (STARTED,
 *           INVALID_DESTINATION, REJECTED, UNKNOWN) is never claimed again.
 * - finish  conditional on the claim token: a delivery that lost its lease cannot overwrite the
 *           outcome of the one that took over.
 * `mayHaveStarted` is set once an attempt's outcome was unknown (a timeout after Connect may have
 * accepted the call, or a takeover): after the token's validity such a call is recorded UNKNOWN
 * instead of being dialled again.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { claimedStatus, finishClaim } from "../shared/runtime/claims";
import { isConditionalCheckFailed } from "../shared/sms/sms-preferences";

export type FinalDialStatus = "STARTED" | "INVALID_DESTINATION" | "REJECTED" | "UNKNOWN";
export type DialStatus = FinalDialStatus | "DIALING" | "RETRYING";
export const FINAL_DIAL_STATUSES: readonly FinalDialStatus[] = ["STARTED", "INVALID_DESTINATION", "REJECTED", "UNKNOWN"];

export interface DialClaim {
  dialId: string;
  claimToken: string;
  /** Epoch ms after which another delivery may take the claim over. */
  leaseUntil: number;
  campaignKey: string;
  destination: string;
  sourceKind: string;
  sourceRef: string;
}

export type DialClaimResult =
  | {
      claimed: true;
      /** Claims of this call so far, this one included. */
      attempts: number;
      /** The item was DIALING under an expired lease: that delivery may have placed the call. */
      takenOver: boolean;
      /** Epoch ms of the first claim (the token's age). */
      firstAttemptAt: number;
      /** An earlier attempt's outcome was unknown. */
      mayHaveStarted: boolean;
    }
  /** status undefined: the item vanished between the failed claim and the read; retry later. */
  | { claimed: false; status: DialStatus | undefined };

export interface DialFinish {
  dialId: string;
  claimToken: string;
  status: FinalDialStatus | "RETRYING";
  contactId?: string;
  errorName?: string;
  errorMessage?: string;
  /** Mark that this attempt may have started the call (kept once set). */
  mayHaveStarted?: boolean;
}

export interface DialOutcomeStore {
  claim(request: DialClaim): Promise<DialClaimResult>;
  /** False when the claim was lost (its lease expired and another delivery took it). */
  finish(request: DialFinish): Promise<boolean>;
}

/** Items outlive the ClientToken's 7 days, so a late redelivery still finds its outcome. */
export const DIAL_OUTCOME_TTL_SECONDS = 30 * 24 * 3600;

export class DynamoDbDialOutcomeStore implements DialOutcomeStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(request: DialClaim): Promise<DialClaimResult> {
    const now = this.now();
    try {
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { dialId: request.dialId },
          UpdateExpression:
            "SET #status = :dialing, claimToken = :claimToken, leaseUntil = :leaseUntil, attempts = if_not_exists(attempts, :zero) + :one, firstAttemptAt = if_not_exists(firstAttemptAt, :now), campaignKey = :campaignKey, destination = :destination, sourceKind = :sourceKind, sourceRef = :sourceRef, updatedAt = :updatedAt, expiration = :expiration",
          ConditionExpression: "attribute_not_exists(dialId) OR #status = :retrying OR (#status = :dialing AND leaseUntil < :now)",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":dialing": "DIALING",
            ":retrying": "RETRYING",
            ":claimToken": request.claimToken,
            ":leaseUntil": request.leaseUntil,
            ":now": now,
            ":zero": 0,
            ":one": 1,
            ":campaignKey": request.campaignKey,
            ":destination": request.destination,
            ":sourceKind": request.sourceKind,
            ":sourceRef": request.sourceRef,
            ":updatedAt": new Date(now).toISOString(),
            ":expiration": Math.floor(now / 1000) + DIAL_OUTCOME_TTL_SECONDS,
          },
          // The previous status, attempts, first attempt and flag, from the same atomic write.
          ReturnValues: "ALL_OLD",
        }),
      );
      return {
        claimed: true,
        attempts: Number(Attributes?.attempts ?? 0) + 1,
        takenOver: Attributes?.status === "DIALING",
        firstAttemptAt: Number(Attributes?.firstAttemptAt ?? now),
        mayHaveStarted: Attributes?.mayHaveStarted === true || Attributes?.status === "DIALING",
      };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { claimed: false, status: (await claimedStatus(this.client, this.tableName, { dialId: request.dialId })) as DialStatus | undefined };
    }
  }

  finish(request: DialFinish): Promise<boolean> {
    return finishClaim(this.client, {
      tableName: this.tableName,
      key: { dialId: request.dialId },
      claimToken: request.claimToken,
      status: request.status,
      now: this.now(),
      attributes: {
        contactId: request.contactId,
        errorName: request.errorName,
        errorMessage: request.errorMessage,
        mayHaveStarted: request.mayHaveStarted === true ? true : undefined,
      },
    });
  }
}

/**
 * The same semantics in memory, for tests and the benchmark (conditions as in the DynamoDB store;
 * test/functions/connect-channel-outcomes.dynalite.test.ts runs one behaviour table on both).
 */
export class MemoryDialOutcomeStore implements DialOutcomeStore {
  readonly items = new Map<string, Record<string, unknown>>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(request: DialClaim): Promise<DialClaimResult> {
    const now = this.now();
    const old = this.items.get(request.dialId);
    const claimable = old === undefined || old.status === "RETRYING" || (old.status === "DIALING" && (old.leaseUntil as number) < now);
    if (!claimable) return { claimed: false, status: old.status as DialStatus };
    this.items.set(request.dialId, {
      ...old,
      dialId: request.dialId,
      status: "DIALING",
      claimToken: request.claimToken,
      leaseUntil: request.leaseUntil,
      attempts: Number(old?.attempts ?? 0) + 1,
      firstAttemptAt: old?.firstAttemptAt ?? now,
      campaignKey: request.campaignKey,
      destination: request.destination,
      sourceKind: request.sourceKind,
      sourceRef: request.sourceRef,
    });
    return {
      claimed: true,
      attempts: Number(old?.attempts ?? 0) + 1,
      takenOver: old?.status === "DIALING",
      firstAttemptAt: Number(old?.firstAttemptAt ?? now),
      mayHaveStarted: old?.mayHaveStarted === true || old?.status === "DIALING",
    };
  }

  async finish(request: DialFinish): Promise<boolean> {
    const item = this.items.get(request.dialId);
    if (item === undefined || item.claimToken !== request.claimToken) return false;
    const next: Record<string, unknown> = { ...item, status: request.status };
    delete next.claimToken;
    delete next.leaseUntil;
    for (const key of ["contactId", "errorName", "errorMessage"] as const) if (request[key] !== undefined) next[key] = request[key];
    if (request.mayHaveStarted === true) next.mayHaveStarted = true;
    this.items.set(request.dialId, next);
    return true;
  }
}
