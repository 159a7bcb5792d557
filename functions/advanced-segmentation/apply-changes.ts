/**
 * Applying one change file (pure orchestration over ports): drop what is already in effect, add
 * the token for joiners and remove it for leavers through the shared attribute store, then record
 * in the members table exactly the changes the target took. What the target could not take stays
 * pending: retried by the state machine (retryable) or found again by the next run.
 */
import type { AttributeStore, PersonRef, PersonUpdate, UpdateResult, UpdateStatus } from "../shared/profiles/store";
import { ENDPOINT_ID } from "./contract";
import type { ChangeFile } from "./change-files";
import type { MemberChange, MembersStore } from "./members-store";

/** The person a member id names, by the segment's member key. */
export function personFor(memberKey: string, memberId: string): PersonRef {
  switch (memberKey) {
    case ENDPOINT_ID:
      return { kind: "endpointId", value: memberId };
    case "_email":
      return { kind: "email", value: memberId };
    case "_phone":
      return { kind: "phone", value: memberId };
    default:
      return { kind: "profileKey", keyName: memberKey, value: memberId };
  }
}

export interface ApplyOutcome {
  /** Joins and leaves the target took (written or already so). */
  added: number;
  removed: number;
  /** Changes a retried file had already applied. */
  alreadyApplied: number;
  notFound: number;
  ambiguous: number;
  invalid: number;
  /** Changes that failed and may succeed later (throttling, 5xx). */
  retryable: number;
  /** Changes the target refused for good. */
  failed: number;
  /** Short reasons of the failures, without personal data. */
  reasons: string[];
}

/**
 * Whether a result settles the change, so the members table records it:
 * - a join is recorded once the token is on the person (updated / unchanged);
 * - a leave is recorded once the token is off, and also when the person is gone or the change can
 *   never apply (not-found, invalid): there is nothing left to remove.
 * An ambiguous person (several profiles) is left pending: it resolves once the profiles are merged.
 */
export function settles(op: MemberChange["op"], status: UpdateStatus): boolean {
  if (status === "updated" || status === "unchanged") return true;
  return op === "leave" && (status === "not-found" || status === "invalid");
}

export async function applyChangeFile(
  file: ChangeFile,
  ports: { store: AttributeStore; members: MembersStore; now: () => Date },
): Promise<ApplyOutcome> {
  const { segment } = file;
  const pending = await ports.members.pending(segment.name, file.changes);
  const outcome: ApplyOutcome = { added: 0, removed: 0, alreadyApplied: file.changes.length - pending.length, notFound: 0, ambiguous: 0, invalid: 0, retryable: 0, failed: 0, reasons: [] };
  if (pending.length === 0) return outcome;

  const updates: PersonUpdate[] = pending.map((c) => ({
    person: personFor(segment.memberKey, c.memberId),
    changes: [{ attribute: segment.attribute, mode: c.op === "join" ? "add" : "remove", values: [segment.token] }],
  }));
  const results: UpdateResult[] = await ports.store.apply(updates);
  const settled: MemberChange[] = [];
  for (const result of results) {
    for (const index of result.inputs) {
      const change = pending[index];
      if (settles(change.op, result.status)) {
        settled.push(change);
        if (result.status === "updated" || result.status === "unchanged") {
          if (change.op === "join") outcome.added++;
          else outcome.removed++;
        }
      }
      if (result.status === "not-found") outcome.notFound++;
      else if (result.status === "ambiguous") outcome.ambiguous++;
      else if (result.status === "invalid") outcome.invalid++;
      else if (result.status === "failed") {
        if (result.retryable) outcome.retryable++;
        else outcome.failed++;
        if (result.reason && !outcome.reasons.includes(result.reason)) outcome.reasons.push(result.reason);
      }
    }
  }
  // Record what the target took, even when other changes of the file failed: a retry skips them.
  await ports.members.record(segment.name, settled, { token: segment.token, runId: file.runId, at: ports.now().toISOString() });
  return outcome;
}
