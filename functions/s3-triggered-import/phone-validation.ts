/**
 * PhoneNumberValidate for a stream of rows: each distinct number once per file, at bounded
 * concurrency, with throttling retried.
 *
 * - De-duplication: outcomes are cached by the request string (contacts.ts phoneValidationInput),
 *   so a number repeated anywhere in the file, in any punctuation, costs one call. The cache holds
 *   one compact string per distinct number (OutcomeCodec: about 40 characters).
 * - Throttling: the SDK's adaptive retries first, then `retryThrottled` with full-jitter backoff;
 *   still throttled, the error is thrown as ThrottlingException and the Step Functions Task
 *   retries the whole (idempotent) validation later.
 * - A number the API refuses (BadRequestException, NotFoundException) is an outcome, not a crash:
 *   the seed's validator died on the first one.
 */
import { isRetryableError, isThrottlingError } from "../shared/runtime/errors";
import { mapWithConcurrency, retryThrottled, type ThrottleRetry } from "../shared/profiles/concurrency";
import { VALIDATOR_FIELDS, type PhoneOutcome, type PhoneValidationFields } from "./contacts";

export interface PhoneNumberValidatePort {
  /** PhoneNumberValidate's NumberValidateResponse for one number; throws the SDK's error. */
  validate(phoneNumber: string): Promise<PhoneValidationFields>;
}

/** Thrown when throttling outlasts every retry: named so the state machine's Retry matches it. */
export class PhoneValidateThrottledError extends Error {
  constructor(cause: unknown) {
    super("PhoneNumberValidate is still throttled after retries", { cause });
    this.name = "ThrottlingException";
  }
}

const SEPARATOR = "\u001f";
/** Fields whose values repeat across numbers (country, carrier, time zone…): stored as indexes into one table. */
const INTERNED = VALIDATOR_FIELDS.filter((f) => f !== "CleansedPhoneNumberE164" && f !== "OriginalPhoneNumber");

/**
 * Outcomes as compact strings: the E.164 number and the original (empty when equal to the
 * request) as they are, the repeating fields as indexes into a shared table. About 40 characters
 * per distinct number, so the cache grows slowly with the file.
 */
class OutcomeCodec {
  private readonly values: string[] = [""];
  private readonly index = new Map<string, number>([["", 0]]);

  encode(input: string, outcome: PhoneOutcome): string {
    if (outcome.kind === "rejected") return `R${outcome.reason}`;
    const f = outcome.fields;
    const original = f.OriginalPhoneNumber === input ? "" : (f.OriginalPhoneNumber ?? "\u0000");
    return `V${f.CleansedPhoneNumberE164 ?? ""}${SEPARATOR}${original}${SEPARATOR}${INTERNED.map((k) => this.intern(f[k] ?? "")).join(",")}`;
  }

  decode(input: string, text: string): PhoneOutcome {
    if (text[0] === "R") return { kind: "rejected", reason: text.slice(1) };
    const [e164, original, interned] = text.slice(1).split(SEPARATOR);
    const fields: PhoneValidationFields = {};
    if (e164 !== "") fields.CleansedPhoneNumberE164 = e164;
    if (original !== "\u0000") fields.OriginalPhoneNumber = original === "" ? input : original;
    interned.split(",").forEach((i, n) => {
      const value = this.values[Number(i)];
      if (value !== "") fields[INTERNED[n]] = value;
    });
    return { kind: "validated", fields };
  }

  private intern(value: string): number {
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.index.set(value, i);
    }
    return i;
  }
}

export class PhoneValidationCache {
  private readonly outcomes = new Map<string, string>();
  private readonly codec = new OutcomeCodec();
  /** PhoneNumberValidate calls made (attempts that returned, or refused the number). */
  calls = 0;
  /** Throttled attempts seen by this layer (after the SDK's own retries). */
  throttled = 0;

  constructor(
    private readonly port: PhoneNumberValidatePort,
    private readonly concurrency: number,
    private readonly retry: ThrottleRetry,
  ) {}

  get size(): number {
    return this.outcomes.size;
  }

  /** Validates every input not validated yet, at most `concurrency` calls at once. */
  async resolve(inputs: Iterable<string>): Promise<void> {
    const missing = [...new Set(inputs)].filter((i) => !this.outcomes.has(i));
    await mapWithConcurrency(missing, this.concurrency, async (input) => {
      this.outcomes.set(input, this.codec.encode(input, await this.validateOne(input)));
    });
  }

  outcome(input: string): PhoneOutcome {
    const text = this.outcomes.get(input);
    if (text === undefined) throw new Error("phone number not resolved before use");
    return this.codec.decode(input, text);
  }

  private async validateOne(input: string): Promise<PhoneOutcome> {
    try {
      const fields = await retryThrottled(async () => {
        try {
          return await this.port.validate(input);
        } catch (error) {
          if (isThrottlingError(error)) this.throttled++;
          throw error;
        }
      }, this.retry);
      this.calls++;
      return { kind: "validated", fields };
    } catch (error) {
      if (isThrottlingError(error)) throw new PhoneValidateThrottledError(error);
      // Faults (5xx, network) fail the file's validation: the Task retries it.
      if (isRetryableError(error)) throw error;
      this.calls++;
      return { kind: "rejected", reason: `PhoneNumberValidate: ${(error as Error).name}` };
    }
  }
}
