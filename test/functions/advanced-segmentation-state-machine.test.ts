/**
 * #10's state machine, EXECUTED in aws-local-stepfunctions with the definition the component
 * deploys (segmentStateMachineDefinition). Its Tasks run the real handlers (differ, applier) on
 * fakes for Athena, S3 and Customer Profiles (through the shared attribute store's real adapter)
 * and on dynalite for the members table.
 *
 * The interpreter runs a Map inline and cannot read an ItemReader, so for the whole-flow runs the
 * Distributed Map's ItemReader (an S3 listing of the run's change files) is replaced by the same
 * listing in the execution input, and its ResultWriter is dropped: the only change to the deployed
 * definition, made by `localDefinition` below. Each run then checks that the bucket holds exactly
 * that listing. The item processor is also executed on its own, unmodified.
 */
import { expect } from "chai";
import { loadLocalStepFunctions, aslProblems } from "../engines/local-stepfunctions";
import { startDynalite, type DynaliteEngine } from "../engines/dynalite";
import { changeFileProcessor, segmentStateMachineDefinition, STATES, type SegmentStateMachineSettings } from "../../functions/advanced-segmentation/state-machine";
import { changesPrefixFor, segmentRunInput, wrapSegmentQuery } from "../../functions/advanced-segmentation/contract";
import { changeFileKey } from "../../functions/advanced-segmentation/change-files";
import { createMembersStore, type MembersStore } from "../../functions/advanced-segmentation/members-store";
import { createCustomerProfilesStore } from "../../functions/shared/profiles/customer-profiles";
import {
  ATTRIBUTE,
  FakeBucket,
  FakeProfiles,
  HANDLER_ENV,
  TOKEN,
  createMembersTable,
  fakeAthena,
  lambdaContext,
  noRetry,
  silentObservability,
} from "./advanced-segmentation-fakes";

const SETTINGS: SegmentStateMachineSettings = {
  workGroup: "segments",
  database: "datalake",
  catalog: "AwsDataCatalog",
  differArn: "arn:aws:lambda:us-east-1:123456789012:function:differ",
  applierArn: "arn:aws:lambda:us-east-1:123456789012:function:applier",
  topicArn: "arn:aws:sns:us-east-1:123456789012:segment-runs",
  resultsBucket: "segment-results",
  mapResultsPrefix: "map-results/",
  pollIntervalSeconds: 15,
  maxPolls: 3,
  differTimeoutSeconds: 960,
  applierTimeoutSeconds: 360,
  applyConcurrency: 4,
  executionTimeoutSeconds: 86_400,
};
const SQL = "SELECT customer_id AS member_id FROM purchases WHERE total >= 100";
const SEGMENT = { name: "recent-buyers", token: TOKEN, attribute: ATTRIBUTE, memberKey: "_profileId", queryString: wrapSegmentQuery(SQL) };

type Json = Record<string, unknown>;

/** The error name of the Fail state that ended a local execution (the interpreter's ExecutionError carries it as its cause). */
const failedWith = (error: Error | undefined) => ((error as { cause?: { name?: string } } | undefined)?.cause?.name);

/** The deployed definition with the Distributed Map's S3 reader swapped for the same listing in the input (see the file comment). */
function localDefinition(definition: Json): Json {
  const copy = JSON.parse(JSON.stringify(definition)) as { States: Record<string, Json> };
  const map = copy.States[STATES.apply];
  expect(map.ItemReader, "the deployed map reads the run's change files from S3").to.deep.equal({
    Resource: "arn:aws:states:::s3:listObjectsV2",
    Parameters: { Bucket: SETTINGS.resultsBucket, "Prefix.$": "$.diff.changesPrefix" },
  });
  delete map.ItemReader;
  delete map.ResultWriter;
  map.ItemsPath = "$.localListing";
  return copy;
}

interface World {
  engine: DynaliteEngine;
  members: MembersStore;
  bucket: FakeBucket;
  profiles: FakeProfiles;
  athenaPages: { token: string | undefined }[];
  notices: Json[];
  calls: Record<string, Json[]>;
}

describe("AdvancedSegmentation state machine (aws-local-stepfunctions)", function () {
  this.timeout(60_000);
  let engine: DynaliteEngine;
  let createDifferHandler: typeof import("../../functions/advanced-segmentation/differ").createDifferHandler;
  let createApplierHandler: typeof import("../../functions/advanced-segmentation/applier").createApplierHandler;
  let StateMachine: Awaited<ReturnType<typeof loadLocalStepFunctions>>["StateMachine"];
  const savedEnv = { ...process.env };

  before(async () => {
    Object.assign(process.env, HANDLER_ENV);
    ({ createDifferHandler } = await import("../../functions/advanced-segmentation/differ.js"));
    ({ createApplierHandler } = await import("../../functions/advanced-segmentation/applier.js"));
    ({ StateMachine } = await loadLocalStepFunctions());
    engine = await startDynalite();
  });
  after(async () => {
    await engine.stop();
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  });

  async function world(profileIds: string[], stored: string[]): Promise<World> {
    const tableName = await createMembersTable(engine);
    const members = createMembersStore({ documents: engine.documents, tableName });
    await members.record(SEGMENT.name, stored.map((memberId) => ({ memberId, op: "join" })), { token: TOKEN, runId: "seed", at: "2026-11-30T00:00:00.000Z" });
    return { engine, members, bucket: new FakeBucket(), profiles: new FakeProfiles(profileIds, stored), athenaPages: [], notices: [], calls: {} };
  }

  async function storedMembers(w: World): Promise<string[]> {
    const out: string[] = [];
    for await (const id of w.members.members(SEGMENT.name)) out.push(id);
    return out;
  }

  /**
   * Runs one execution. `queryStates` are what successive GetQueryExecution calls return;
   * `result` the query's member ids; `files` how many change files the run is expected to list.
   */
  async function execute(
    w: World,
    options: { runId: string; queryStates: string[]; result?: string[]; files?: number; pageSize?: number; remainingMs?: number; settings?: Partial<SegmentStateMachineSettings> },
  ): Promise<{ output?: Json; error?: Error }> {
    const settings = { ...SETTINGS, ...options.settings };
    const record = (state: string, input: unknown) => (w.calls[state] ??= []).push(input as Json);
    const differ = createDifferHandler(
      { resultsBucket: SETTINGS.resultsBucket, changesPrefix: "changes/", membersTableName: "unused" },
      { athena: fakeAthena(options.result ?? [], options.pageSize ?? 2, w.athenaPages), s3: w.bucket.client, members: w.members },
      silentObservability(),
    );
    const applier = createApplierHandler(
      { store: { target: "customerProfiles", domainName: "customers", concurrency: 2 }, resultsBucket: SETTINGS.resultsBucket, membersTableName: "unused" },
      {
        s3: w.bucket.client,
        store: createCustomerProfilesStore({ client: w.profiles.client, domainName: "customers", concurrency: 2, retry: noRetry }),
        members: w.members,
        now: () => new Date("2026-12-01T02:00:00.000Z"),
      },
      silentObservability(),
    );
    const prefix = changesPrefixFor("changes/", SEGMENT.name, options.runId);
    const listing = Array.from({ length: options.files ?? 0 }, (_, i) => ({ Key: changeFileKey(prefix, i) }));
    let polls = 0;
    const machine = new StateMachine(localDefinition(segmentStateMachineDefinition(settings)) as never);
    const run = machine.run({ ...segmentRunInput(SEGMENT), localListing: listing } as never, {
      context: { Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:segments:${options.runId}`, Name: options.runId } } as never,
      overrides: {
        waitTimeOverrides: { [STATES.wait]: 0 },
        retryIntervalOverrides: { [STATES.applyFile]: 0, [STATES.diff]: 0 },
        taskResourceLocalHandlers: {
          [STATES.startQuery]: (input) => (record(STATES.startQuery, input), { QueryExecutionId: "query-1" }),
          [STATES.getQuery]: (input) => {
            record(STATES.getQuery, input);
            const state = options.queryStates[Math.min(polls++, options.queryStates.length - 1)];
            return { QueryExecution: { QueryExecutionId: "query-1", Status: { State: state, ...(state === "CANCELLED" ? { StateChangeReason: "Query cancelled by user" } : {}) } } };
          },
          [STATES.stopQuery]: (input) => (record(STATES.stopQuery, input), {}),
          [STATES.diff]: async (input) => {
            record(STATES.diff, input);
            return { Payload: (await differ((input as Json).Payload, lambdaContext(options.remainingMs))) as never };
          },
          [STATES.applyFile]: async (input) => {
            record(STATES.applyFile, input);
            return { Payload: (await applier((input as Json).Payload, lambdaContext())) as never };
          },
          [STATES.notifySuccess]: (input) => (w.notices.push(input as Json), { MessageId: "m" }),
          [STATES.notifyFailure]: (input) => (w.notices.push(input as Json), { MessageId: "m" }),
        },
      },
    });
    try {
      const output = (await run.result) as Json;
      expect(w.bucket.keys(prefix), "the listing is what the differ wrote").to.deep.equal(listing.map((l) => l.Key));
      return { output };
    } catch (error) {
      return { error: error as Error };
    }
  }

  it("is valid ASL, and so is the Distributed Map's item processor", () => {
    // Fresh objects each time: asl-validator 4 writes QueryLanguage into every state it validates.
    expect(aslProblems(segmentStateMachineDefinition(SETTINGS))).to.deep.equal([]);
    const processor = changeFileProcessor(SETTINGS);
    expect(aslProblems({ StartAt: processor.StartAt, States: processor.States })).to.deep.equal([]);
  });

  it("gives every Task a Retry and a Catch, including the item processor's", () => {
    const definition = segmentStateMachineDefinition(SETTINGS) as unknown as { States: Record<string, Json> };
    const states = { ...definition.States, ...(definition.States[STATES.apply].ItemProcessor as { States: Record<string, Json> }).States };
    const tasks = Object.entries(states).filter(([, s]) => s.Type === "Task");
    expect(tasks.map(([name]) => name)).to.have.length(7);
    for (const [name, state] of tasks) {
      expect(state.Retry, name).to.be.an("array").that.is.not.empty;
      expect(state.Catch, name).to.be.an("array").that.is.not.empty;
      expect(state.TimeoutSeconds, name).to.be.a("number");
    }
  });

  it("runs the segment: adds the token to joiners, removes it from leavers, leaves the rest alone, and notifies", async () => {
    const w = await world(["p-a", "p-b", "p-c", "p-d", "p-e"], ["p-a", "p-b", "p-c"]);
    const { output, error } = await execute(w, { runId: "run-1", queryStates: ["QUEUED", "RUNNING", "SUCCEEDED"], result: ["p-b", "p-c", "p-d", "p-e"], files: 1 });
    expect(error).to.equal(undefined);
    expect(w.calls[STATES.startQuery]).to.deep.equal([
      {
        QueryString: wrapSegmentQuery(SQL),
        WorkGroup: "segments",
        QueryExecutionContext: { Catalog: "AwsDataCatalog", Database: "datalake" },
        ClientRequestToken: w.calls[STATES.startQuery][0].ClientRequestToken,
      },
    ]);
    expect(w.calls[STATES.startQuery][0].ClientRequestToken).to.match(/^[0-9a-f]{64}$/);
    expect(w.calls[STATES.getQuery]).to.have.length(3);
    // Three pages of two rows (the header is the first page's first row).
    expect(w.athenaPages.map((p) => p.token)).to.deep.equal([undefined, "page-2", "page-4"]);
    expect(w.profiles.updates).to.deep.equal([
      { profileId: "p-a", attributes: { [ATTRIBUTE]: "" } },
      { profileId: "p-d", attributes: { [ATTRIBUTE]: `|${TOKEN}|` } },
      { profileId: "p-e", attributes: { [ATTRIBUTE]: `|${TOKEN}|` } },
    ]);
    expect(await storedMembers(w)).to.deep.equal(["p-b", "p-c", "p-d", "p-e"]);
    expect(w.notices).to.have.length(1);
    expect(w.notices[0].Subject).to.equal("Advanced segmentation: segment recent-buyers updated");
    expect(JSON.parse(w.notices[0].Message as string)).to.deep.equal({
      segment: "recent-buyers",
      token: TOKEN,
      execution: "run-1",
      queryExecutionId: "query-1",
      counts: { joined: 2, left: 1, unchanged: 2 },
    });
    expect((output?.diff as Json).files).to.equal(1);
  });

  it("writes nothing when a re-run finds the same members", async () => {
    const w = await world(["p-b", "p-c"], ["p-b", "p-c"]);
    const { error } = await execute(w, { runId: "run-2", queryStates: ["SUCCEEDED"], result: ["p-b", "p-c"], files: 0 });
    expect(error).to.equal(undefined);
    expect(w.bucket.keys()).to.deep.equal([]);
    expect(w.calls[STATES.applyFile]).to.equal(undefined);
    expect(w.profiles.updates).to.deep.equal([]);
    expect(w.profiles.searches).to.deep.equal([]);
    expect(JSON.parse(w.notices[0].Message as string).counts).to.deep.equal({ joined: 0, left: 0, unchanged: 2 });
  });

  it("fails the run with a failure notice when the query ends CANCELLED, without reading results", async () => {
    const w = await world(["p-a"], []);
    const { error } = await execute(w, { runId: "run-3", queryStates: ["RUNNING", "CANCELLED"] });
    expect(failedWith(error)).to.equal("SegmentRunFailed");
    expect(w.calls[STATES.diff]).to.equal(undefined);
    expect(w.calls[STATES.getQuery]).to.have.length(2);
    expect(w.notices).to.have.length(1);
    expect(w.notices[0].Subject).to.equal("Advanced segmentation: segment recent-buyers failed");
    expect(w.notices[0].MessageAttributes).to.deep.equal({ notification_type: { DataType: "String", StringValue: "failure" } });
    const cause = JSON.parse(w.notices[0].Message as string);
    expect(cause.Error).to.equal("QueryCancelled");
    expect(cause.Cause).to.deep.equal({ State: "CANCELLED", StateChangeReason: "Query cancelled by user" });
  });

  it("retries a throttled write through the state machine and writes each change once", async () => {
    const w = await world(["p-a", "p-b", "p-c"], []);
    w.profiles.throttleOnce.add("p-b");
    const { error } = await execute(w, { runId: "run-4", queryStates: ["SUCCEEDED"], result: ["p-a", "p-b", "p-c"], files: 1 });
    expect(error).to.equal(undefined);
    // The file ran twice: the second time only p-b was still pending.
    expect(w.calls[STATES.applyFile]).to.have.length(2);
    expect(w.profiles.updates.map((u) => u.profileId)).to.deep.equal(["p-a", "p-c", "p-b"]);
    expect(w.profiles.searches).to.deep.equal(["p-a", "p-b", "p-c", "p-b"]);
    expect(await storedMembers(w)).to.deep.equal(["p-a", "p-b", "p-c"]);
    for (const id of ["p-a", "p-b", "p-c"]) expect(w.profiles.attribute(id, ATTRIBUTE)).to.equal(`|${TOKEN}|`);
  });

  it("stops the query and fails when polling reaches its bound", async () => {
    const w = await world(["p-a"], []);
    const { error } = await execute(w, { runId: "run-5", queryStates: ["RUNNING"] });
    expect(failedWith(error)).to.equal("SegmentRunFailed");
    expect(w.calls[STATES.getQuery]).to.have.length(SETTINGS.maxPolls);
    expect(w.calls[STATES.stopQuery]).to.deep.equal([{ QueryExecutionId: "query-1" }]);
    expect(w.calls[STATES.diff]).to.equal(undefined);
    expect(JSON.parse(w.notices[0].Message as string)).to.deep.equal({
      Error: "QueryPollingLimit",
      Cause: "The query was still running after 3 polls; it was stopped",
    });
  });

  it("invokes the differ again with its cursor until it is done, with the same outcome", async () => {
    const w = await world(["p-a", "p-b", "p-c", "p-d", "p-e"], ["p-a", "p-c"]);
    // Under the pause reserve: the differ returns after every page.
    const { error } = await execute(w, { runId: "run-6", queryStates: ["SUCCEEDED"], result: ["p-b", "p-c", "p-d", "p-e"], files: 3, remainingMs: 1_000 });
    expect(error).to.equal(undefined);
    expect(w.calls[STATES.diff]).to.have.length(3);
    expect((w.calls[STATES.diff][0].Payload as Json).cursor).to.deep.equal({});
    expect((w.calls[STATES.diff][1].Payload as Json).cursor).to.deep.equal({ resume: true });
    // The cursor names a member, so it stays in the encrypted bucket, out of the execution history.
    expect(JSON.parse(w.bucket.objects.get("changes/recent-buyers/run-6.cursor.json")!)).to.include({ resultToken: "page-4", after: "p-d", files: 2 });
    expect(await storedMembers(w)).to.deep.equal(["p-b", "p-c", "p-d", "p-e"]);
    expect(JSON.parse(w.notices[0].Message as string).counts).to.deep.equal({ joined: 3, left: 1, unchanged: 1 });
  });

  describe("the item processor, executed on its own", () => {
    const processor = () => {
      const p = changeFileProcessor(SETTINGS);
      return new StateMachine({ StartAt: p.StartAt, States: p.States } as never);
    };

    it("retries SegmentRetryableError and returns the file's counts", async () => {
      let attempts = 0;
      const run = processor().run({ key: "changes/recent-buyers/run/000000.json" }, {
        overrides: {
          retryIntervalOverrides: { [STATES.applyFile]: 0 },
          taskResourceLocalHandlers: {
            [STATES.applyFile]: (input) => {
              expect(input).to.deep.equal({ FunctionName: SETTINGS.applierArn, Payload: { key: "changes/recent-buyers/run/000000.json" } });
              if (++attempts < 3) throw Object.assign(new Error("2 change(s) not applied yet"), { name: "SegmentRetryableError" });
              return { Payload: { added: 2, removed: 1, alreadyApplied: 5, failed: 0 } };
            },
          },
        },
      });
      expect(await run.result).to.deep.equal({ added: 2, removed: 1, alreadyApplied: 5 });
      expect(attempts).to.equal(3);
    });

    it("fails the child execution, without retrying, when the target refuses a write", async () => {
      let attempts = 0;
      const run = processor().run({ key: "k" }, {
        overrides: {
          retryIntervalOverrides: { [STATES.applyFile]: 0 },
          taskResourceLocalHandlers: {
            [STATES.applyFile]: () => {
              attempts++;
              throw Object.assign(new Error("1 change(s) refused"), { name: "SegmentWriteFailed" });
            },
          },
        },
      });
      const error = await run.result.then(
        () => undefined,
        (e: Error) => e,
      );
      expect(failedWith(error)).to.equal("ChangeFileFailed");
      expect(attempts).to.equal(1);
    });
  });
});
