/**
 * Applies one End User Messaging SMS delivery event (sms-delivery-events.ts) to the file drop's
 * state. SDK-free: the outcome table and the preference table are ports.
 *
 * 1. The row: the sender passes its rowId in the send's `Context`, which AWS returns in every
 *    event; the event is written on that row's outcome item, keyed by the rowId and checked against
 *    the message id (adapters.ts DynamoDbDeliveryStore):
 *    - an event that arrives before the sender recorded the send (its outcome write is still in
 *      flight) is recorded: the row exists since the claim, and has no message id yet;
 *    - a duplicate, an event older than the one recorded, anything after a final event, and an
 *      event of an earlier send of the same row are ignored (DeliveryEventIgnored);
 *    - an event without a rowId (another sender using the configuration set) is counted
 *      (DeliveryEventUnmatched) and otherwise only used for step 2.
 * 2. The number: a type that is permanent for the number (TEXT_INVALID, TEXT_BLOCKED) is recorded
 *    in the preference table, unless turned off or the number's latest keyword is newer; later
 *    sends skip it (SKIP_PERMANENT_FAILURES), and an opt-in (START) clears it.
 * Every write is conditional and idempotent, so a redelivered event changes nothing.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit, type Metrics } from "@aws-lambda-powertools/metrics";
import { E164_PATTERN } from "../shared/sms/sms-config";
import { classifyDeliveryEvent, type SmsDeliveryEvent } from "../shared/sms/sms-delivery-events";
import type { PermanentFailureStore } from "../shared/sms/sms-preferences";
import { maskPhone } from "../shared/runtime/pii";
import type { DeliveryStore } from "./adapters";
import type { DeliveryConfig } from "./config";
import { DELIVERY_METRICS } from "./contract";

export interface DeliveryDeps {
  deliveries: DeliveryStore;
  /** Undefined: no preference table, nothing is recorded for the number. */
  failures?: PermanentFailureStore;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

export type DeliveryResult = { row: "recorded" | "ignored" | "unmatched"; numberRecorded: boolean };

const ROW_ID = /^[0-9a-f]{64}$/;

export async function applyDeliveryEvent(event: SmsDeliveryEvent, config: Pick<DeliveryConfig, "recordPermanentFailures">, deps: DeliveryDeps): Promise<DeliveryResult> {
  const { logger, metrics } = deps;
  const classified = classifyDeliveryEvent(event);
  const rowId = event.context?.rowId;
  const log = { messageId: event.messageId, eventType: event.eventType, final: classified.final, rowId, to: maskPhone(event.destinationPhoneNumber ?? "") };
  let row: DeliveryResult["row"] = "unmatched";
  if (rowId !== undefined && ROW_ID.test(rowId)) {
    const applied = await deps.deliveries.recordDelivery({
      rowId,
      messageId: event.messageId,
      eventType: event.eventType,
      outcome: classified.outcome,
      final: classified.final,
      eventAt: event.eventTimestamp,
      description: event.messageStatusDescription,
    });
    row = applied.applied ? "recorded" : "ignored";
    metrics.addMetric(applied.applied ? DELIVERY_METRICS.DeliveryEventRecorded : DELIVERY_METRICS.DeliveryEventIgnored, MetricUnit.Count, 1);
    if (applied.applied && applied.newlyFinal) {
      metrics.addMetric(classified.outcome === "DELIVERED" ? DELIVERY_METRICS.MessageDelivered : DELIVERY_METRICS.MessageFailed, MetricUnit.Count, 1);
    }
    logger.info(applied.applied ? "Delivery event recorded" : "Delivery event ignored (duplicate, out of order or superseded)", log);
  } else {
    metrics.addMetric(DELIVERY_METRICS.DeliveryEventUnmatched, MetricUnit.Count, 1);
    logger.info("Delivery event without a file-drop row id", log);
  }

  let numberRecorded = false;
  const number = event.destinationPhoneNumber;
  if (classified.permanentForNumber && config.recordPermanentFailures && deps.failures !== undefined && number !== undefined && E164_PATTERN.test(number)) {
    numberRecorded = await deps.failures.recordPermanentFailure({
      phoneNumber: number,
      eventType: event.eventType,
      messageId: event.messageId,
      eventAt: event.eventTimestamp,
      updatedAt: new Date((deps.now ?? Date.now)()).toISOString(),
    });
    if (numberRecorded) {
      metrics.addMetric(DELIVERY_METRICS.PermanentFailureRecorded, MetricUnit.Count, 1);
      logger.info("Number recorded as failing permanently; later sends skip it", log);
    }
  }
  return { row, numberRecorded };
}
