/**
 * One batch of stream records → attribute updates: decode each record, decide what its rules do,
 * apply all the batch's updates at once (the store folds them per person, in record order), and
 * say which records failed. Plain logic over the store interface: no SDK, no Lambda types.
 */
import type { AttributeStore, PersonRef, PersonUpdate, UpdateResult } from "../shared/profiles/store";
import { isThrottlingError } from "../shared/runtime/errors";
import type { SegmentRule } from "./contract";
import { parseRecordData, type KinesisRecord } from "./events";
import { decide } from "./rules";

export interface BatchTally {
  updated: number;
  unchanged: number;
  notFound: number;
  ambiguous: number;
  unidentified: number;
  ignored: number;
  rejected: number;
  malformed: number;
  failedRecords: number;
  throttled: number;
}

export interface BatchOutcome {
  /** Sequence numbers of the records to report as batch item failures (retried by Lambda). */
  failed: Set<string>;
  tally: BatchTally;
  /** Records that could not be decoded: never retried (a retry cannot fix them), reported. */
  malformed: { sequenceNumber: string; error: string }[];
  /** Per person result that was not a success, for logging (persons masked by the caller). */
  problems: UpdateResult[];
}

export interface BatchSettings {
  rules: readonly SegmentRule[];
  sesIdentityTag: string | undefined;
}

export function emptyTally(): BatchTally {
  return { updated: 0, unchanged: 0, notFound: 0, ambiguous: 0, unidentified: 0, ignored: 0, rejected: 0, malformed: 0, failedRecords: 0, throttled: 0 };
}

export async function segmentBatch(records: readonly KinesisRecord[], store: AttributeStore, settings: BatchSettings): Promise<BatchOutcome> {
  const tally = emptyTally();
  const malformed: BatchOutcome["malformed"] = [];
  const updates: PersonUpdate[] = [];
  /** updates[i] came from record updateRecord[i]. */
  const updateRecord: string[] = [];
  for (const record of records) {
    const sequenceNumber = record.kinesis.sequenceNumber;
    const parsed = parseRecordData(record.kinesis.data, settings.sesIdentityTag);
    if (!parsed.ok) {
      tally.malformed++;
      malformed.push({ sequenceNumber, error: parsed.error });
      continue;
    }
    const decision = decide(parsed.event, settings.rules, store.target);
    if (decision.action === "ignore") tally.ignored++;
    else if (decision.action === "unidentified") tally.unidentified++;
    else {
      updates.push(decision.update);
      updateRecord.push(sequenceNumber);
    }
  }

  const failed = new Set<string>();
  const problems: UpdateResult[] = [];
  const results = updates.length === 0 ? [] : await store.apply(updates);
  for (const result of results) {
    switch (result.status) {
      case "updated":
        tally.updated++;
        continue;
      case "unchanged":
        tally.unchanged++;
        continue;
      case "not-found":
        tally.notFound++;
        break;
      case "ambiguous":
        tally.ambiguous++;
        break;
      case "invalid":
        tally.rejected++;
        break;
      case "failed":
        if (isThrottlingError(result.error)) tally.throttled++;
        for (const input of result.inputs) failed.add(updateRecord[input]);
        break;
    }
    problems.push(result);
  }
  tally.failedRecords = failed.size;
  return { failed, tally, malformed, problems };
}

/** A person as logged: no address or number in full. */
export function maskedPerson(person: PersonRef, mask: { email: (s: string) => string; phone: (s: string) => string }): string {
  switch (person.kind) {
    case "email":
      return `email:${mask.email(person.value)}`;
    case "phone":
      return `phone:${mask.phone(person.value)}`;
    case "profileKey":
      return `${person.keyName}:${person.value.slice(0, 4)}***`;
    case "endpointId":
      return `endpoint:${person.value.slice(0, 4)}***`;
  }
}
