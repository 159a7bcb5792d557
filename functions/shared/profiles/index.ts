/**
 * The attribute store: one interface (store.ts), two adapters, the pure merge logic, and a factory
 * that builds the configured adapter with SDK clients created once per container.
 */
import { CustomerProfilesClient } from "@aws-sdk/client-customer-profiles";
import { PinpointClient } from "@aws-sdk/client-pinpoint";
import { sdkClientConfig } from "../runtime/aws-clients";
import type { AttributeStoreConfig } from "./config";
import { createCustomerProfilesStore } from "./customer-profiles";
import { createPinpointStore } from "./pinpoint";
import type { AttributeStore } from "./store";

export * from "./store";
export * from "./config";
export { CUSTOMER_PROFILES_LIMITS, PINPOINT_LIMITS } from "./limits";
export { decodeValueSet, encodeValueSet, membershipToken } from "./value-set";
export { applyDelta, foldChanges, mergeForPerson, planPerPerson, type AttributeDelta } from "./merge";
export { createCustomerProfilesStore, type CustomerProfilesStoreOptions } from "./customer-profiles";
export { createPinpointStore, PINPOINT_BATCH_SIZE, type PinpointStoreOptions } from "./pinpoint";

/** Builds the configured store. Call once per container (module scope). */
export function createAttributeStore(config: AttributeStoreConfig): AttributeStore {
  if (config.target === "customerProfiles") {
    return createCustomerProfilesStore({ client: new CustomerProfilesClient(sdkClientConfig()), domainName: config.domainName, concurrency: config.concurrency });
  }
  return createPinpointStore({ client: new PinpointClient(sdkClientConfig()), applicationId: config.applicationId, concurrency: config.concurrency });
}
