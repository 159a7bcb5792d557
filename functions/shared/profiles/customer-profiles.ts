/**
 * Customer Profiles adapter of the attribute store. Customer Profiles has no batch profile update,
 * so each person costs one SearchProfiles (locate + current attributes) and, when something
 * changed, one UpdateProfile, at bounded concurrency. A profile is never created: a person with no
 * profile is "not-found", one matching several profiles is "ambiguous" (not reliably identified).
 */
import { SearchProfilesCommand, UpdateProfileCommand, type CustomerProfilesClient, type Profile } from "@aws-sdk/client-customer-profiles";
import { isRetryableError } from "../runtime/errors";
import { DEFAULT_THROTTLE_RETRY, mapWithConcurrency, retryThrottled, type ThrottleRetry } from "./concurrency";
import { CUSTOMER_PROFILES_LIMITS } from "./limits";
import { mergeForPerson, planPerPerson, type PersonPlan } from "./merge";
import type { AttributeStore, PersonRef, PersonUpdate, UpdateResult } from "./store";
import { decodeValueSet, encodeValueSet } from "./value-set";

export interface CustomerProfilesStoreOptions {
  client: CustomerProfilesClient;
  /** The Customer Profiles domain name. */
  domainName: string;
  /** Most people located / updated at once. */
  concurrency: number;
  retry?: ThrottleRetry;
}

/** The SearchProfiles key for a person, or undefined when Customer Profiles cannot locate that kind. */
export function searchKeyFor(person: PersonRef): { KeyName: string; Values: string[] } | undefined {
  switch (person.kind) {
    case "email":
      return { KeyName: "_email", Values: [person.value] };
    case "phone":
      return { KeyName: "_phone", Values: [person.value] };
    case "profileKey":
      return { KeyName: person.keyName, Values: [person.value] };
    case "endpointId":
      return undefined;
  }
}

export function createCustomerProfilesStore(options: CustomerProfilesStoreOptions): AttributeStore {
  const limits = CUSTOMER_PROFILES_LIMITS;
  const retry = options.retry ?? DEFAULT_THROTTLE_RETRY;

  async function locate(person: PersonRef): Promise<Profile[]> {
    const key = searchKeyFor(person)!;
    // Two results are enough to tell "exactly one" from "several".
    const out = await retryThrottled(
      () => options.client.send(new SearchProfilesCommand({ DomainName: options.domainName, KeyName: key.KeyName, Values: key.Values, MaxResults: 2 })),
      retry,
    );
    return out.Items ?? [];
  }

  async function applyOne(plan: PersonPlan): Promise<UpdateResult> {
    const base = { person: plan.person, inputs: plan.inputs };
    if (plan.problem) return { ...base, status: "invalid", retryable: false, reason: plan.problem };
    if (!searchKeyFor(plan.person)) return { ...base, status: "invalid", retryable: false, reason: `customerProfiles cannot locate a person by ${plan.person.kind}` };
    try {
      const profiles = await locate(plan.person);
      if (profiles.length === 0) return { ...base, status: "not-found", retryable: false, reason: "no matching profile" };
      if (profiles.length > 1) return { ...base, status: "ambiguous", retryable: false, reason: "several matching profiles" };
      const profile = profiles[0];
      const { changed, problem } = mergeForPerson(plan.deltas, (a) => decodeValueSet(profile.Attributes?.[a]), limits);
      if (problem) return { ...base, status: "invalid", retryable: false, reason: problem };
      if (changed.size === 0) return { ...base, status: "unchanged", retryable: false };
      const attributes = Object.fromEntries([...changed].map(([name, values]) => [name, encodeValueSet(values)]));
      await retryThrottled(
        () => options.client.send(new UpdateProfileCommand({ DomainName: options.domainName, ProfileId: profile.ProfileId!, Attributes: attributes })),
        retry,
      );
      return { ...base, status: "updated", retryable: false };
    } catch (error) {
      // The profile vanished (deleted or merged) between the search and the update.
      if ((error as { name?: string }).name === "ResourceNotFoundException") {
        return { ...base, status: "not-found", retryable: false, reason: "profile no longer exists" };
      }
      return { ...base, status: "failed", retryable: isRetryableError(error), reason: (error as { name?: string }).name ?? "error", error };
    }
  }

  return {
    target: "customerProfiles",
    limits,
    apply: (updates: readonly PersonUpdate[]) => mapWithConcurrency(planPerPerson(updates, limits), options.concurrency, applyOne),
  };
}
