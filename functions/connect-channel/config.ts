/**
 * Environment of #13's handlers, validated once at cold start. The names are the contract's
 * (contract.ts); a blank variable counts as unset.
 *
 * Dialer (dialer.ts):
 * | Variable                     | Meaning                                                           | Default |
 * |------------------------------|-------------------------------------------------------------------|---------|
 * | INSTANCE_ID                  | Amazon Connect instance id (UUID)                                 | required |
 * | CONTACT_FLOW_ID              | The contact flow the call runs (UUID)                             | required |
 * | QUEUE_ID                     | Queue for the call (its number is the caller ID)                  | none (SOURCE_PHONE_NUMBER) |
 * | SOURCE_PHONE_NUMBER          | E.164 number claimed by the instance                              | none (QUEUE_ID) |
 * | RING_TIMEOUT_SECONDS         | RingTimeoutInSeconds (15–60)                                      | API default (60) |
 * | OUTCOME_TABLE_NAME           | Outcome table, partition key dialId (S), TTL expiration           | required |
 * | RATE_TABLE_NAME              | Shared limiter table (functions/shared/rate)                      | required |
 * | DIALER_QUEUE_URL             | The dialer's own queue: calls deferred for capacity go back there | required |
 * | CALLS_PER_SECOND             | Ceiling of StartOutboundVoiceContact calls per second (account-wide) | required |
 * | LIMITER_SHARES               | Invocations that dial at once (the mapping's maximum concurrency) | required |
 * | DIAL_CONCURRENCY             | Calls one invocation places at once (1–10)                        | required |
 * | CAPACITY_WAIT_SECONDS        | How long one invocation waits for active calls to end before deferring | required |
 * | CAPACITY_RETRY_DELAY_SECONDS | Delay of a deferred call on the queue (1–900)                     | required |
 * | SEND_GUARANTEE               | platform: at-most-once / at-least-once, for a claim taken over from a dead invocation | at-most-once |
 */
import * as z from "zod";
import { DEFAULT_SEND_GUARANTEE, SEND_GUARANTEES, type SendGuarantee } from "../shared/runtime/send-guarantee";
import { intEnv, parseEnv, requiredString } from "../shared/sms/sms-config";
import { CHANNEL_ENV as CHANNEL, DIALABLE_CHANNEL_TYPES, DIALER_ENV as DIALER, MAX_DEFER_SECONDS } from "./contract";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SQS_URL = /^https:\/\/\S+$/;

const DialerEnvSchema = z
  .object({
    [DIALER.INSTANCE_ID]: z.string().trim().regex(UUID, "must be a Connect instance id (UUID)"),
    [DIALER.CONTACT_FLOW_ID]: z.string().trim().regex(UUID, "must be a contact flow id (UUID)"),
    [DIALER.QUEUE_ID]: z.string().trim().regex(UUID, "must be a queue id (UUID)").optional(),
    [DIALER.SOURCE_PHONE_NUMBER]: z.string().trim().regex(/^\+[1-9]\d{1,14}$/, "must be an E.164 number").optional(),
    [DIALER.RING_TIMEOUT_SECONDS]: intEnv(15, 60).optional(),
    [DIALER.OUTCOME_TABLE_NAME]: requiredString,
    [DIALER.RATE_TABLE_NAME]: requiredString,
    [DIALER.DIALER_QUEUE_URL]: z.string().trim().regex(SQS_URL, "must be the https URL of the dialer queue"),
    [DIALER.CALLS_PER_SECOND]: z.string().trim().regex(/^\d+(\.\d+)?$/, "must be a number").transform(Number).pipe(z.number().gt(0, "must be greater than 0").max(1000)),
    [DIALER.LIMITER_SHARES]: intEnv(1, 1000),
    [DIALER.DIAL_CONCURRENCY]: intEnv(1, 10),
    [DIALER.CAPACITY_WAIT_SECONDS]: intEnv(0, 900),
    [DIALER.CAPACITY_RETRY_DELAY_SECONDS]: intEnv(1, MAX_DEFER_SECONDS),
    SEND_GUARANTEE: z.enum(SEND_GUARANTEES).default(DEFAULT_SEND_GUARANTEE),
  })
  .superRefine(
    (env, ctx) => {
      if (env.QUEUE_ID === undefined && env.SOURCE_PHONE_NUMBER === undefined) {
        ctx.addIssue({ code: "custom", path: ["QUEUE_ID"], message: "QUEUE_ID or SOURCE_PHONE_NUMBER is required (StartOutboundVoiceContact needs one)" });
      }
    },
    { when: () => true },
  );

export interface DialerConfig {
  instanceId: string;
  contactFlowId: string;
  queueId?: string;
  sourcePhoneNumber?: string;
  ringTimeoutSeconds?: number;
  outcomeTableName: string;
  rateTableName: string;
  dialerQueueUrl: string;
  callsPerSecond: number;
  limiterShares: number;
  dialConcurrency: number;
  capacityWaitMs: number;
  capacityRetryDelaySeconds: number;
  sendGuarantee: SendGuarantee;
}

export function loadDialerConfig(env: NodeJS.ProcessEnv): DialerConfig {
  const e = parseEnv(DialerEnvSchema, env, "connect-channel dialer");
  return {
    instanceId: e.INSTANCE_ID,
    contactFlowId: e.CONTACT_FLOW_ID,
    queueId: e.QUEUE_ID,
    sourcePhoneNumber: e.SOURCE_PHONE_NUMBER,
    ringTimeoutSeconds: e.RING_TIMEOUT_SECONDS,
    outcomeTableName: e.OUTCOME_TABLE_NAME,
    rateTableName: e.RATE_TABLE_NAME,
    dialerQueueUrl: e.DIALER_QUEUE_URL,
    callsPerSecond: e.CALLS_PER_SECOND,
    limiterShares: e.LIMITER_SHARES,
    dialConcurrency: e.DIAL_CONCURRENCY,
    capacityWaitMs: e.CAPACITY_WAIT_SECONDS * 1000,
    capacityRetryDelaySeconds: e.CAPACITY_RETRY_DELAY_SECONDS,
    sendGuarantee: e.SEND_GUARANTEE,
  };
}

/**
 * Custom-channel Lambda (channel.ts):
 * | DIALER_QUEUE_URL | The dialer queue | required |
 * | CHANNEL_TYPES    | Comma-separated endpoint ChannelTypes that are dialled | SMS,VOICE,CUSTOM |
 */
const ChannelEnvSchema = z.object({
  [CHANNEL.DIALER_QUEUE_URL]: z.string().trim().regex(SQS_URL, "must be the https URL of the dialer queue"),
  [CHANNEL.CHANNEL_TYPES]: z
    .string()
    .transform((v) => v.split(",").map((t) => t.trim()))
    .pipe(z.array(z.enum(DIALABLE_CHANNEL_TYPES)).min(1))
    .default([...DIALABLE_CHANNEL_TYPES]),
});

export interface ChannelConfig {
  dialerQueueUrl: string;
  channelTypes: ReadonlySet<string>;
}

export function loadChannelConfig(env: NodeJS.ProcessEnv): ChannelConfig {
  const e = parseEnv(ChannelEnvSchema, env, "connect-channel custom channel");
  return { dialerQueueUrl: e.DIALER_QUEUE_URL, channelTypes: new Set(e.CHANNEL_TYPES) };
}
