/**
 * The per-person attribute store shared by Event-Based Segmentation (#7) and Advanced
 * Segmentation (#10): one small interface, two adapters.
 *
 * - `customerProfiles` (default): Amazon Connect Customer Profiles. A person is located with
 *   SearchProfiles (email, phone or any search key), then UpdateProfile sets `Attributes`
 *   (a map of string → string, each value ≤ 255 characters). A set of values is encoded in that one
 *   string, see `value-set.ts`.
 * - `pinpoint`: the seed's endpoint attributes (string arrays: ≤ 50 values of ≤ 100 characters),
 *   written with UpdateEndpointsBatch, 100 endpoints per call.
 *
 * Callers describe WHAT should change (set / add / remove values of an attribute, per person); the
 * store folds the changes per person, reads current values only when a change depends on them,
 * merges within the target's limits and writes at the target's real shape.
 */

/** How a change combines with the attribute's current values. */
export type AttributeMode = "set" | "add" | "remove";

/** One change of one attribute. `set` with no values clears the attribute. */
export interface AttributeChange {
  attribute: string;
  mode: AttributeMode;
  values: readonly string[];
}

/**
 * Who the change is for. Customer Profiles accepts `email`, `phone` and `profileKey` (any search
 * key of the domain: "_profileId", "_account", or a key the domain's object types define);
 * Pinpoint accepts only `endpointId`. A kind the target cannot locate yields status "invalid".
 */
export type PersonRef =
  | { kind: "email"; value: string }
  | { kind: "phone"; value: string }
  | { kind: "profileKey"; keyName: string; value: string }
  | { kind: "endpointId"; value: string };

/** The changes for one person, in the order they happened. */
export interface PersonUpdate {
  person: PersonRef;
  changes: readonly AttributeChange[];
}

/**
 * What happened to one person (all the updates for the same person are folded into one result):
 * - `updated`: written;
 * - `unchanged`: the merged values equal the current ones, nothing written;
 * - `not-found`: no profile / endpoint matches the person (nothing is ever created);
 * - `ambiguous`: more than one profile matches: not reliably identified, nothing written;
 * - `invalid`: the change cannot be stored (unsupported person kind, a value over the target's
 *   limits, a merged set too large); retrying will not help;
 * - `failed`: the call failed; `retryable` says whether retrying later may succeed (throttling
 *   that outlasted the retries, 5xx, network).
 */
export type UpdateStatus = "updated" | "unchanged" | "not-found" | "ambiguous" | "invalid" | "failed";

export interface UpdateResult {
  person: PersonRef;
  status: UpdateStatus;
  /** Indexes, into the `updates` array passed to `apply`, of every update folded into this result. */
  inputs: number[];
  retryable: boolean;
  /** A short reason for invalid / failed / not-found, with no personal data in it. */
  reason?: string;
  error?: unknown;
}

/** The limits of a target's attribute values, checked before anything is written. */
export interface AttributeLimits {
  /** Most distinct values one attribute may hold. */
  maxValues: number;
  /** Longest single value, in characters. */
  maxValueLength: number;
  /** Longest stored (encoded) attribute value, in characters; undefined = no limit beyond the above. */
  maxEncodedLength: number | undefined;
  /** Longest attribute name, in characters. */
  maxNameLength: number;
  /** A character no value may contain (the set delimiter of an encoded target), if any. */
  forbiddenInValue: string | undefined;
}

export type AttributeStoreTarget = "customerProfiles" | "pinpoint";

export interface AttributeStore {
  readonly target: AttributeStoreTarget;
  readonly limits: AttributeLimits;
  /**
   * Applies the updates: folds them per person (same kind + key + value), reads the current values
   * when a change is `add`/`remove`, merges, and writes. Never throws for one person's failure:
   * every person gets a result. Writes are idempotent (the final value set), so at-least-once
   * redelivery of the same updates is harmless.
   */
  apply(updates: readonly PersonUpdate[]): Promise<UpdateResult[]>;
}
