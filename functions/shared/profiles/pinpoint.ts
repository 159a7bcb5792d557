/**
 * Pinpoint adapter of the attribute store (the seed's endpoint attributes). Each endpoint is read
 * with GetEndpoint, which both proves it exists (UpdateEndpointsBatch would otherwise CREATE a
 * phantom, address-less endpoint) and gives the current values to merge with; the changed
 * endpoints are then written with UpdateEndpointsBatch, 100 per call. UpdateEndpointsBatch
 * replaces the values of every attribute it mentions, so each item carries the merged set.
 */
import { GetEndpointCommand, UpdateEndpointsBatchCommand, type EndpointBatchItem, type PinpointClient } from "@aws-sdk/client-pinpoint";
import { isRetryableError } from "../runtime/errors";
import { chunk, DEFAULT_THROTTLE_RETRY, mapWithConcurrency, retryThrottled, type ThrottleRetry } from "./concurrency";
import { PINPOINT_LIMITS } from "./limits";
import { mergeForPerson, planPerPerson, type PersonPlan } from "./merge";
import type { AttributeStore, PersonUpdate, UpdateResult } from "./store";

/** UpdateEndpointsBatch accepts at most 100 items per request. */
export const PINPOINT_BATCH_SIZE = 100;

export interface PinpointStoreOptions {
  client: PinpointClient;
  /** The Pinpoint project (application) ID. */
  applicationId: string;
  /** Most GetEndpoint reads in flight at once. */
  concurrency: number;
  retry?: ThrottleRetry;
}

type Pending = { plan: PersonPlan; endpointId: string; attributes: Record<string, string[]> };

export function createPinpointStore(options: PinpointStoreOptions): AttributeStore {
  const limits = PINPOINT_LIMITS;
  const retry = options.retry ?? DEFAULT_THROTTLE_RETRY;

  async function read(plan: PersonPlan): Promise<UpdateResult | Pending> {
    const base = { person: plan.person, inputs: plan.inputs };
    if (plan.problem) return { ...base, status: "invalid", retryable: false, reason: plan.problem };
    if (plan.person.kind !== "endpointId") return { ...base, status: "invalid", retryable: false, reason: `pinpoint cannot locate a person by ${plan.person.kind}` };
    const endpointId = plan.person.value;
    try {
      const out = await retryThrottled(
        () => options.client.send(new GetEndpointCommand({ ApplicationId: options.applicationId, EndpointId: endpointId })),
        retry,
      );
      const current = out.EndpointResponse?.Attributes ?? {};
      const { changed, problem } = mergeForPerson(plan.deltas, (a) => current[a] ?? [], limits);
      if (problem) return { ...base, status: "invalid", retryable: false, reason: problem };
      if (changed.size === 0) return { ...base, status: "unchanged", retryable: false };
      return { plan, endpointId, attributes: Object.fromEntries(changed) };
    } catch (error) {
      if ((error as { name?: string }).name === "NotFoundException") return { ...base, status: "not-found", retryable: false, reason: "no such endpoint" };
      return { ...base, status: "failed", retryable: isRetryableError(error), reason: (error as { name?: string }).name ?? "error", error };
    }
  }

  async function write(batch: Pending[]): Promise<UpdateResult[]> {
    const items: EndpointBatchItem[] = batch.map((p) => ({ Id: p.endpointId, Attributes: p.attributes }));
    try {
      await retryThrottled(
        () => options.client.send(new UpdateEndpointsBatchCommand({ ApplicationId: options.applicationId, EndpointBatchRequest: { Item: items } })),
        retry,
      );
      return batch.map((p) => ({ person: p.plan.person, inputs: p.plan.inputs, status: "updated", retryable: false }));
    } catch (error) {
      // The batch is one request: all of its endpoints share its outcome.
      const retryable = isRetryableError(error);
      const reason = (error as { name?: string }).name ?? "error";
      return batch.map((p) => ({ person: p.plan.person, inputs: p.plan.inputs, status: "failed", retryable, reason, error }));
    }
  }

  return {
    target: "pinpoint",
    limits,
    async apply(updates: readonly PersonUpdate[]): Promise<UpdateResult[]> {
      const reads = await mapWithConcurrency(planPerPerson(updates, limits), options.concurrency, read);
      const done = reads.filter((r): r is UpdateResult => "status" in r);
      const pending = reads.filter((r): r is Pending => !("status" in r));
      const written: UpdateResult[] = [];
      // Sequential batches: each already carries 100 endpoints.
      for (const batch of chunk(pending, PINPOINT_BATCH_SIZE)) written.push(...(await write(batch)));
      return [...done, ...written];
    },
  };
}
