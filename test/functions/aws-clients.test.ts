/**
 * Proves that `sdkClientConfig()` gives a real SDK v3 client adaptive retries with our attempt
 * budget. The client is real (serialisation, signing, retry middleware, adaptive rate limiter); only
 * the HTTP layer is replaced by a scripted request handler.
 *
 * Speed: the SDK sleeps between attempts (throttling backoff is up to 1 s × 2^n, jittered) and the
 * adaptive token bucket refills with wall-clock time (`Date.now`), which together take 2-5 s per
 * test. The tests install a minimal virtual clock: `setTimeout` records the requested delay,
 * advances `Date.now` by it and fires at once. Nothing about the retry decision changes: the SDK
 * still computes every delay and refill, and the tests assert the delays were requested.
 */
import { PutSuppressedDestinationCommand, SESv2Client, type SESv2ClientConfig } from "@aws-sdk/client-sesv2";
import { expect } from "chai";
import { SendEmailCommand } from "@aws-sdk/client-sesv2";
import { sdkClientConfig, sendClientConfig } from "../../functions/shared/runtime/aws-clients";
import { isOutcomeUnknown, isRetryableError, isThrottlingError, provenNotExecuted } from "../../functions/shared/runtime/errors";

interface ScriptedResponse {
  statusCode: number;
  errorType?: string;
  body: unknown;
}

interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** A request handler that answers from a script and records what the SDK sent. */
function scriptedHandler(script: ScriptedResponse[]) {
  const seen: SeenRequest[] = [];
  const handler = {
    async handle(request: { method: string; path: string; headers: Record<string, string>; body?: unknown }) {
      seen.push({
        method: request.method,
        path: request.path,
        headers: { ...request.headers },
        body: new TextDecoder().decode(request.body as Uint8Array),
      });
      const next = script[Math.min(seen.length - 1, script.length - 1)];
      const headers: Record<string, string> = { "content-type": "application/json", "x-amzn-requestid": `req-${seen.length}` };
      if (next.errorType) headers["x-amzn-errortype"] = next.errorType;
      return {
        response: { statusCode: next.statusCode, headers, body: new TextEncoder().encode(JSON.stringify(next.body)) },
      };
    },
  };
  return { seen, requestHandler: handler as unknown as SESv2ClientConfig["requestHandler"] };
}

/**
 * A real client. Other test files stub `SESv2Client.prototype.send` with aws-sdk-client-mock
 * (sinon defines an own `send` on the prototype) for as long as their suites live; this test needs
 * the SDK's real middleware stack, so it binds the base Smithy `Client#send` onto its instance.
 */
function realClient(requestHandler: SESv2ClientConfig["requestHandler"], config: Partial<SESv2ClientConfig> = sdkClientConfig()): SESv2Client {
  const client = new SESv2Client({
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
    ...config,
    requestHandler,
  });
  const smithySend = (Object.getPrototypeOf(SESv2Client.prototype) as { send: SESv2Client["send"] }).send;
  client.send = smithySend.bind(client) as SESv2Client["send"];
  return client;
}

const THROTTLED: ScriptedResponse = { statusCode: 400, errorType: "ThrottlingException", body: { message: "Rate exceeded" } };
const OK: ScriptedResponse = { statusCode: 200, body: {} };

describe("AWS SDK client configuration (functions/shared/runtime/aws-clients)", () => {
  const realSetTimeout = globalThis.setTimeout;
  const realDateNow = Date.now;
  const savedMaxAttempts = process.env.AWS_MAX_ATTEMPTS;
  let requestedDelays: number[];

  beforeEach(() => {
    delete process.env.AWS_MAX_ATTEMPTS;
    requestedDelays = [];
    let virtualOffsetMs = 0;
    Date.now = () => realDateNow() + virtualOffsetMs;
    globalThis.setTimeout = ((fn: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) => {
      const ms = Math.max(0, delay ?? 0);
      requestedDelays.push(ms);
      virtualOffsetMs += ms;
      return realSetTimeout(fn, 0, ...args);
    }) as typeof setTimeout;
  });

  afterEach(() => {
    globalThis.setTimeout = realSetTimeout;
    Date.now = realDateNow;
    if (savedMaxAttempts === undefined) delete process.env.AWS_MAX_ATTEMPTS;
    else process.env.AWS_MAX_ATTEMPTS = savedMaxAttempts;
  });

  describe("sdkClientConfig()", () => {
    const cases: [string | undefined, number][] = [
      [undefined, 5],
      ["3", 3],
      ["10", 10],
      ["0", 5],
      ["-2", 5],
      ["2.5", 5],
      ["many", 5],
    ];
    for (const [env, expected] of cases) {
      it(`uses adaptive retry with maxAttempts ${expected} when AWS_MAX_ATTEMPTS is ${JSON.stringify(env)}`, () => {
        if (env !== undefined) process.env.AWS_MAX_ATTEMPTS = env;
        expect(sdkClientConfig()).to.deep.equal({ retryMode: "adaptive", maxAttempts: expected });
      });
    }
  });

  it("retries a throttled PutSuppressedDestination twice and succeeds on the third attempt, in adaptive mode", async () => {
    const { seen, requestHandler } = scriptedHandler([THROTTLED, THROTTLED, OK]);
    const client = realClient(requestHandler);

    const output = await client.send(new PutSuppressedDestinationCommand({ EmailAddress: "jane@example.net", Reason: "BOUNCE" }));

    expect(seen).to.have.length(3);
    expect(output.$metadata.attempts).to.equal(3);
    expect(output.$metadata.httpStatusCode).to.equal(200);
    for (const [i, request] of seen.entries()) {
      expect(request.method).to.equal("PUT");
      expect(request.path).to.equal("/v2/email/suppression/addresses");
      expect(JSON.parse(request.body)).to.deep.equal({ EmailAddress: "jane@example.net", Reason: "BOUNCE" });
      expect(request.headers["amz-sdk-request"]).to.equal(`attempt=${i + 1}; max=5`);
      // SDK user-agent feature "F" = RETRY_MODE_ADAPTIVE ("E" would be standard).
      expect(request.headers["user-agent"]).to.match(/ m\/[^ ]*\bF\b/);
    }
    // One backoff sleep per retry was requested (the adaptive limiter may add its own), and the
    // SDK accounted for them.
    expect(requestedDelays.length).to.be.at.least(2);
    expect(output.$metadata.totalRetryDelay).to.be.greaterThan(0);
    expect(((await client.config.retryStrategy()) as { mode?: string }).mode).to.equal("adaptive");
  });

  it("stops at maxAttempts from AWS_MAX_ATTEMPTS and surfaces a ThrottlingException the handler treats as retryable", async () => {
    process.env.AWS_MAX_ATTEMPTS = "2";
    const { seen, requestHandler } = scriptedHandler([THROTTLED]);
    const client = realClient(requestHandler);

    const error = await client
      .send(new PutSuppressedDestinationCommand({ EmailAddress: "jane@example.net", Reason: "COMPLAINT" }))
      .then(
        () => undefined,
        (e: unknown) => e as Error & { $metadata: { attempts?: number } },
      );

    expect(seen).to.have.length(2);
    expect(seen.map((r) => r.headers["amz-sdk-request"])).to.deep.equal(["attempt=1; max=2", "attempt=2; max=2"]);
    expect(error).to.be.instanceOf(Error);
    expect(error!.name).to.equal("ThrottlingException");
    expect(error!.$metadata.attempts).to.equal(2);
    expect(isThrottlingError(error)).to.equal(true);
    expect(isRetryableError(error)).to.equal(true);
  });

  it("does not retry a non-retryable error (BadRequestException)", async () => {
    const { seen, requestHandler } = scriptedHandler([
      { statusCode: 400, errorType: "BadRequestException", body: { message: "Invalid email address" } },
    ]);
    const client = realClient(requestHandler);

    const error = await client
      .send(new PutSuppressedDestinationCommand({ EmailAddress: "not-an-address", Reason: "BOUNCE" }))
      .then(
        () => undefined,
        (e: unknown) => e as Error & { $metadata: { attempts?: number } },
      );

    expect(seen).to.have.length(1);
    expect(error!.name).to.equal("BadRequestException");
    expect(error!.$metadata.attempts).to.equal(1);
    expect(isRetryableError(error)).to.equal(false);
  });

  describe("sendClientConfig(): sends are retried only when they provably did not execute", () => {
    const send = (client: SESv2Client) =>
      client
        .send(new SendEmailCommand({ FromEmailAddress: "a@example.com", Destination: { ToAddresses: ["b@example.net"] }, Content: { Simple: { Subject: { Data: "s" }, Body: { Text: { Data: "b" } } } } }))
        .then(
          (output) => ({ output, error: undefined }),
          (error: unknown) => ({ output: undefined, error: error as Error & { $metadata: { attempts?: number } } }),
        );

    it("retries a throttled SendEmail (the service refused it) and succeeds", async () => {
      const { seen, requestHandler } = scriptedHandler([THROTTLED, OK]);
      const { output, error } = await send(realClient(requestHandler, sendClientConfig()));
      expect(error).to.equal(undefined);
      expect(seen).to.have.length(2);
      expect(output!.$metadata.attempts).to.equal(2);
    });

    it("does not retry a SendEmail answered with a 500: it may have been sent, so the error is surfaced as an unknown outcome", async () => {
      const { seen, requestHandler } = scriptedHandler([{ statusCode: 500, errorType: "InternalFailure", body: { message: "oops" } }, OK]);
      const { error } = await send(realClient(requestHandler, sendClientConfig()));
      expect(seen).to.have.length(1);
      expect(error!.name).to.equal("InternalFailure");
      expect(isOutcomeUnknown(error)).to.equal(true);
    });

    it("the ordinary client config would have retried that same 500 (the duplicate this prevents)", async () => {
      const { seen, requestHandler } = scriptedHandler([{ statusCode: 500, errorType: "InternalFailure", body: { message: "oops" } }, OK]);
      const { error } = await send(realClient(requestHandler, sdkClientConfig()));
      expect(error).to.equal(undefined);
      expect(seen).to.have.length(2);
    });

    it("does not retry a timed-out SendEmail", async () => {
      let calls = 0;
      const requestHandler = {
        async handle() {
          calls += 1;
          throw Object.assign(new Error("socket timed out"), { name: "TimeoutError", code: "ETIMEDOUT" });
        },
      } as unknown as SESv2ClientConfig["requestHandler"];
      const { error } = await send(realClient(requestHandler, sendClientConfig()));
      expect(calls).to.equal(1);
      expect(error!.name).to.equal("TimeoutError");
      expect(isOutcomeUnknown(error)).to.equal(true);
    });

    it("retries a connection that was refused before anything was sent", async () => {
      let calls = 0;
      const requestHandler = {
        async handle() {
          calls += 1;
          if (calls === 1) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
          return { response: { statusCode: 200, headers: { "content-type": "application/json" }, body: new TextEncoder().encode("{}") } };
        },
      } as unknown as SESv2ClientConfig["requestHandler"];
      const { error } = await send(realClient(requestHandler, sendClientConfig()));
      expect(error).to.equal(undefined);
      expect(calls).to.equal(2);
    });
  });

  describe("provenNotExecuted / isOutcomeUnknown", () => {
    const cases: [string, unknown, boolean, boolean][] = [
      ["ThrottlingException", { name: "ThrottlingException", $metadata: { httpStatusCode: 400 } }, true, false],
      ["HTTP 429", { name: "TooManyRequestsException", $metadata: { httpStatusCode: 429 } }, true, false],
      ["ECONNREFUSED", { name: "Error", code: "ECONNREFUSED" }, true, false],
      ["ENOTFOUND", { name: "Error", code: "ENOTFOUND" }, true, false],
      ["TimeoutError", { name: "TimeoutError" }, false, true],
      ["ECONNRESET", { name: "Error", code: "ECONNRESET" }, false, true],
      ["HTTP 500", { name: "InternalServerException", $metadata: { httpStatusCode: 500 } }, false, true],
      ["HTTP 503", { name: "ServiceUnavailableException", $metadata: { httpStatusCode: 503 } }, false, true],
      ["ValidationException", { name: "ValidationException", $metadata: { httpStatusCode: 400 } }, false, false],
      ["a non-object", "boom", false, false],
    ];
    for (const [label, error, notExecuted, unknown] of cases) {
      it(`${label}: proven not executed ${notExecuted}, outcome unknown ${unknown}`, () => {
        expect(provenNotExecuted(error)).to.equal(notExecuted);
        expect(isOutcomeUnknown(error)).to.equal(unknown);
      });
    }
  });
});
