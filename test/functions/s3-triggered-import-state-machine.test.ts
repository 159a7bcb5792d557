/**
 * The import state machine: the definition the component deploys (buildImportDefinition), checked
 * as ASL (asl-validator), checked for Retry/Catch/TimeoutSeconds on every Task and a bound on every
 * loop, and EXECUTED in aws-local-stepfunctions with every Task overridden by a test handler.
 */
import { expect } from "chai";
import { NOTICES } from "../../functions/s3-triggered-import/contract";
import { buildImportDefinition, executionTimeoutSeconds, type ImportDefinitionOptions } from "../../functions/s3-triggered-import/state-machine";
import { aslProblems, loadLocalStepFunctions } from "../engines/local-stepfunctions";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:import-notifications";
const VALIDATOR = "arn:aws:lambda:us-east-1:123456789012:function:import-validator";
const UPLOADER = "arn:aws:lambda:us-east-1:123456789012:function:import-uploader";
const BASE = { topicArn: TOPIC, validatorFunctionArn: VALIDATOR, validatorTimeoutSeconds: 900, pollIntervalSeconds: 30, maxPolls: 3 };
const CP: ImportDefinitionOptions = {
  ...BASE,
  target: "customer-profiles",
  customerProfiles: { domainName: "contacts", dataExpiryDays: 366, uploaderFunctionArn: UPLOADER, uploaderTimeoutSeconds: 300 },
};
const CP_FOLLOW_UP: ImportDefinitionOptions = { ...CP, followUpSmsFileDrop: { bucketName: "sms-drop", prefix: "files/" } };
const SES: ImportDefinitionOptions = { ...BASE, target: "ses-contact-list", sesContactList: { contactListName: "main" } };
const PINPOINT: ImportDefinitionOptions = {
  ...BASE,
  target: "pinpoint",
  pinpoint: { applicationId: "app123", importRoleArn: "arn:aws:iam::123456789012:role/import" },
};
const PINPOINT_CAMPAIGN: ImportDefinitionOptions = {
  ...PINPOINT,
  pinpoint: { ...PINPOINT.pinpoint!, followUpCampaign: { delayMinutes: 15, smsTemplateName: "welcome", messageType: "TRANSACTIONAL" } },
};
const VARIANTS = { CP, CP_FOLLOW_UP, SES, PINPOINT, PINPOINT_CAMPAIGN };

const INPUT = { bucket: "contacts-drop", key: "import/night run/café list.csv", etag: "b1946ac9", versionId: "v1", size: 180 };
const EXECUTION = "import-0123456789abcdef0123456789abcdef01234567";

const VALIDATION = {
  rows: { read: 5, imported: 5, invalid: 0, invalidNumbers: 1, skipped: 0, followUp: 3 },
  files: {
    validated: { bucket: "work", key: `validated/${EXECUTION}.csv`, s3Url: `s3://work/validated/${EXECUTION}.csv` },
    errorReport: { bucket: "work", key: `reports/${EXECUTION}.errors.csv`, s3Url: `s3://work/reports/${EXECUTION}.errors.csv` },
    followUp: { bucket: "work", key: `follow-up/${EXECUTION}.csv` },
  },
  invalidRows: [{ row: 5, column: "Address", reason: "is not a valid phone number (PhoneNumberValidate: PhoneType INVALID); imported with OptOut ALL" }],
  upload: { fields: { Address: { Source: "_source.Address", Target: "_profile.Attributes.Address", ContentType: "STRING" } }, uniqueKey: "Address" },
};

type State = Record<string, unknown> & { Type: string };
type Definition = { States: Record<string, State>; TimeoutSeconds?: number; StartAt: string };
type Handler = (input: unknown) => Promise<unknown>;

interface Run {
  calls: { state: string; input: Record<string, unknown> }[];
  result?: unknown;
  error?: Error;
}

async function execute(options: ImportDefinitionOptions, handlers: Record<string, Handler>): Promise<Run> {
  const { StateMachine } = await loadLocalStepFunctions();
  const definition = buildImportDefinition(options) as unknown as Definition;
  const calls: Run["calls"] = [];
  const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === "Task");
  const overrides: Record<string, Handler> = {};
  for (const [name] of tasks) {
    overrides[name] = async (input) => {
      calls.push({ state: name, input: input as Record<string, unknown> });
      const handler = handlers[name] ?? DEFAULT_HANDLERS[name];
      if (handler === undefined) throw new Error(`no test handler for ${name}`);
      return handler(input);
    };
  }
  const waits = Object.fromEntries(Object.entries(definition.States).filter(([, s]) => s.Type === "Wait").map(([n]) => [n, 0]));
  const retries = Object.fromEntries(tasks.map(([n]) => [n, 0]));
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false, checkPaths: true } } as never);
  const execution = machine.run(INPUT, {
    overrides: { taskResourceLocalHandlers: overrides as never, waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: { Execution: { Name: EXECUTION, Input: INPUT } },
  });
  try {
    return { calls, result: await execution.result };
  } catch (error) {
    return { calls, error: error as Error };
  }
}

const ok = async () => ({});
const DEFAULT_HANDLERS: Record<string, Handler> = {
  NotifyStarted: ok,
  NotifySuccess: ok,
  NotifyFailure: ok,
  Validate: async () => ({ Payload: VALIDATION, StatusCode: 200 }),
  CreateUploadJob: async () => ({ JobId: "0123456789abcdef0123456789abcdef" }),
  UploadFile: async () => ({ Payload: { jobId: "0123456789abcdef0123456789abcdef", bytes: 512 }, StatusCode: 200 }),
  StartUploadJob: ok,
  GetUploadJob: async () => ({ JobId: "0123456789abcdef0123456789abcdef", Status: "SUCCEEDED", ResultsSummary: { CreatedRecords: 4, UpdatedRecords: 1, FailedRecords: 0 } }),
  HandOffFollowUp: async () => ({ ETag: '"abc"' }),
  CreateImportJob: async () => ({ JobId: "ses-job-1", ImportJobResponse: { Id: "pp-job-1" } }),
  GetImportJob: async () => ({ JobStatus: "COMPLETED", ProcessedRecordsCount: 5, FailedRecordsCount: 0 }),
};

/** The Error of the execution's Fail state (the interpreter's ExecutionError carries it as its cause). */
const failedWith = (run: Run) => (run.error?.cause as Error | undefined)?.name;
const callsTo = (run: Run, state: string) => run.calls.filter((c) => c.state === state).map((c) => c.input);
const message = (input: Record<string, unknown>) => input.Message as { Message: string; ImportResult?: Record<string, unknown>; Input?: unknown };

function noticeEnvelope(type: keyof typeof NOTICES) {
  return { TopicArn: TOPIC, Subject: NOTICES[type].subject, MessageAttributes: { notification_type: { DataType: "String", StringValue: type } } };
}

describe("s3-triggered-import state machine", () => {
  describe("definition", () => {
    for (const [variant, options] of Object.entries(VARIANTS)) {
      it(`${variant}: is valid Amazon States Language`, () => {
        expect(aslProblems(buildImportDefinition(options))).to.deep.equal([]);
      });

      it(`${variant}: every Task retries transient errors with backoff, catches everything into the failure notice and has a timeout`, () => {
        const { States } = buildImportDefinition(options) as unknown as Definition;
        const tasks = Object.entries(States).filter(([, s]) => s.Type === "Task");
        expect(tasks.length).to.be.greaterThan(4);
        for (const [name, state] of tasks) {
          const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[];
          const transient = retry.find((r) => r.ErrorEquals.includes("States.Timeout"));
          expect(transient, name).to.not.equal(undefined);
          expect(transient!.BackoffRate, name).to.equal(2);
          expect(transient!.MaxAttempts, name).to.be.within(2, 10);
          expect(transient!.ErrorEquals.some((e) => /Throttl|TooManyRequests|SlowDown/.test(e)), `${name} retries throttling`).to.equal(true);
          expect(state.TimeoutSeconds, name).to.be.a("number").greaterThan(0);
          const catchers = state.Catch as { ErrorEquals: string[]; Next: string }[];
          expect(catchers, name).to.deep.equal([
            { ErrorEquals: ["States.ALL"], ResultPath: name === "NotifyFailure" ? "$.noticeFailure" : "$.failure", Next: name === "NotifyFailure" ? "ImportFailed" : "NotifyFailure" },
          ]);
        }
      });

      it(`${variant}: every loop passes a poll-count bound, and the execution has a TimeoutSeconds covering every bounded step`, () => {
        const definition = buildImportDefinition(options) as unknown as Definition;
        const cycles = findCycles(definition.States);
        for (const cycle of cycles) {
          const bounded = cycle.some((name) => {
            const state = definition.States[name];
            return state.Type === "Choice" && JSON.stringify(state.Choices).includes(`"Variable":"$.poll.count","NumericLessThan":${options.maxPolls}`);
          });
          expect(bounded, `loop ${cycle.join(" → ")}`).to.equal(true);
        }
        expect(cycles.length).to.be.greaterThan(0);
        expect(definition.TimeoutSeconds).to.equal(executionTimeoutSeconds(options));
        const pollBudget = options.maxPolls * (options.pollIntervalSeconds + 60);
        expect(definition.TimeoutSeconds).to.be.greaterThan(pollBudget + options.validatorTimeoutSeconds);
      });
    }

    it("maps each target's terminal statuses explicitly and sends unknown ones to the failure notice", () => {
      const choices = (options: ImportDefinitionOptions, state: string) =>
        JSON.stringify((buildImportDefinition(options) as unknown as Definition).States[state]);
      const cp = choices(CP, "UploadJobFinished");
      for (const status of ["SUCCEEDED", "PARTIALLY_SUCCEEDED", "FAILED", "STOPPED", "CREATED", "IN_PROGRESS"]) expect(cp).to.include(`"${status}"`);
      const ses = choices(SES, "ImportJobFinished");
      for (const status of ["COMPLETED", "FAILED", "CANCELLED", "CREATED", "PROCESSING"]) expect(ses).to.include(`"${status}"`);
      const pinpoint = choices(PINPOINT, "ImportJobFinished");
      for (const status of ["COMPLETED", "FAILED", "FAILING"]) expect(pinpoint).to.include(`"${status}"`);
      for (const [options, state] of [[CP, "UploadJob"], [SES, "ImportJob"], [PINPOINT, "ImportJob"]] as const) {
        expect((buildImportDefinition(options) as unknown as Definition).States[`${state}Finished`].Default).to.equal(`${state}UnknownStatus`);
      }
    });
  });

  describe("execution", () => {
    it("success (Customer Profiles + follow-up): started notice, validation, upload job created with the validator's mapping, file handed to #9, success notice with the counts", async () => {
      const run = await execute(CP_FOLLOW_UP, {});
      expect(run.error).to.equal(undefined);
      expect(run.calls.map((c) => c.state)).to.deep.equal([
        "NotifyStarted",
        "Validate",
        "CreateUploadJob",
        "UploadFile",
        "StartUploadJob",
        "GetUploadJob",
        "HandOffFollowUp",
        "NotifySuccess",
      ]);
      expect(callsTo(run, "NotifyStarted")[0]).to.deep.equal({ ...noticeEnvelope("started"), Message: { Message: "Import Started", Input: INPUT } });
      expect(callsTo(run, "Validate")[0]).to.deep.equal({
        FunctionName: VALIDATOR,
        Payload: { bucket: INPUT.bucket, key: INPUT.key, etag: INPUT.etag, versionId: INPUT.versionId, executionName: EXECUTION },
      });
      expect(callsTo(run, "CreateUploadJob")[0]).to.deep.equal({
        DomainName: "contacts",
        DisplayName: EXECUTION,
        Fields: VALIDATION.upload.fields,
        UniqueKey: "Address",
        DataExpiry: 366,
      });
      expect(callsTo(run, "UploadFile")[0]).to.deep.equal({
        FunctionName: UPLOADER,
        Payload: { jobId: "0123456789abcdef0123456789abcdef", bucket: "work", key: `validated/${EXECUTION}.csv` },
      });
      expect(callsTo(run, "StartUploadJob")[0]).to.deep.equal({ DomainName: "contacts", JobId: "0123456789abcdef0123456789abcdef" });
      expect(callsTo(run, "HandOffFollowUp")[0]).to.deep.equal({ Bucket: "sms-drop", Key: `files/${EXECUTION}.csv`, CopySource: `work/follow-up/${EXECUTION}.csv` });
      const success = callsTo(run, "NotifySuccess")[0];
      expect({ ...success, Message: undefined }).to.deep.equal({ ...noticeEnvelope("success"), Message: undefined });
      expect(message(success).Message).to.equal("Import Successful");
      expect(message(success).ImportResult).to.deep.include({
        target: "customer-profiles",
        file: INPUT,
        rows: VALIDATION.rows,
        errorReport: VALIDATION.files.errorReport,
        invalidRows: VALIDATION.invalidRows,
        followUp: { status: "HANDED_OFF", key: `files/${EXECUTION}.csv`, bucket: "sms-drop" },
      });
      expect((message(success).ImportResult!.jobStatus as { ResultsSummary: unknown }).ResultsSummary).to.deep.equal({ CreatedRecords: 4, UpdatedRecords: 1, FailedRecords: 0 });
    });

    it("a throttled Task is retried: CreateUploadJob throttled once, then the import goes on", async () => {
      let attempts = 0;
      const run = await execute(CP, {
        CreateUploadJob: async () => {
          attempts++;
          if (attempts === 1) throw Object.assign(new Error("Rate exceeded"), { name: "CustomerProfiles.ThrottlingException" });
          return { JobId: "0123456789abcdef0123456789abcdef" };
        },
      });
      expect(run.error).to.equal(undefined);
      expect(attempts).to.equal(2);
      expect(callsTo(run, "NotifySuccess")).to.have.length(1);
      expect(callsTo(run, "NotifyFailure")).to.have.length(0);
    });

    it("a create call failing with an unknown error is not repeated: it goes to the failure notice", async () => {
      let attempts = 0;
      const run = await execute(CP, {
        CreateUploadJob: async () => {
          attempts++;
          throw Object.assign(new Error("Domain not found"), { name: "CustomerProfiles.ResourceNotFoundException" });
        },
      });
      expect(attempts).to.equal(1);
      expect(message(callsTo(run, "NotifyFailure")[0]).ImportResult!.error).to.deep.equal({ Error: "CustomerProfiles.ResourceNotFoundException", Cause: "Domain not found" });
    });

    it("an upload job that ends FAILED leads to the failure notice and a failed execution", async () => {
      const run = await execute(CP_FOLLOW_UP, { GetUploadJob: async () => ({ Status: "FAILED", StatusReason: "VALIDATION_FAILURE" }) });
      expect(callsTo(run, "HandOffFollowUp")).to.have.length(0);
      expect(callsTo(run, "NotifySuccess")).to.have.length(0);
      const failure = callsTo(run, "NotifyFailure")[0];
      expect({ ...failure, Message: undefined }).to.deep.equal({ ...noticeEnvelope("failure"), Message: undefined });
      expect(message(failure).Message).to.equal("Import Failed");
      expect(message(failure).ImportResult).to.deep.include({
        target: "customer-profiles",
        error: { Error: "UploadJobFailed", Cause: "the import job ended without success: see jobStatus" },
        jobStatus: { Status: "FAILED", StatusReason: "VALIDATION_FAILURE" },
      });
      expect(run.error?.name).to.equal("ExecutionError");
      expect(failedWith(run)).to.equal("UploadJobFailed");
    });

    it("PARTIALLY_SUCCEEDED is reported as a failure notice with the upload job's counts, and no follow-up", async () => {
      const summary = { CreatedRecords: 3, UpdatedRecords: 0, FailedRecords: 2 };
      const run = await execute(CP_FOLLOW_UP, { GetUploadJob: async () => ({ Status: "PARTIALLY_SUCCEEDED", ResultsSummary: summary }) });
      expect(callsTo(run, "HandOffFollowUp")).to.have.length(0);
      const result = message(callsTo(run, "NotifyFailure")[0]).ImportResult!;
      expect((result.error as { Error: string }).Error).to.equal("UploadJobPartiallySucceeded");
      expect((result.jobStatus as { ResultsSummary: unknown }).ResultsSummary).to.deep.equal(summary);
    });

    it("a poll loop that hits its bound: maxPolls polls of IN_PROGRESS, then the failure notice", async () => {
      const run = await execute(CP, { GetUploadJob: async () => ({ Status: "IN_PROGRESS" }) });
      expect(callsTo(run, "GetUploadJob")).to.have.length(3);
      expect((message(callsTo(run, "NotifyFailure")[0]).ImportResult!.error as { Error: string }).Error).to.equal("UploadJobPollLimitReached");
      expect(failedWith(run)).to.equal("UploadJobPollLimitReached");
    });

    it("an unknown status is a failure, never a loop", async () => {
      const run = await execute(CP, { GetUploadJob: async () => ({ Status: "SOMETHING_NEW" }) });
      expect(callsTo(run, "GetUploadJob")).to.have.length(1);
      expect((message(callsTo(run, "NotifyFailure")[0]).ImportResult!.error as { Error: string }).Error).to.equal("UploadJobUnknownStatus");
    });

    it("a validation that fails (the file changed since its event) goes to the failure notice with its error", async () => {
      const run = await execute(CP, {
        Validate: async () => {
          throw Object.assign(new Error("s3://contacts-drop/import/x.csv no longer has the version its event announced"), { name: "ObjectChanged" });
        },
      });
      expect(run.calls.map((c) => c.state)).to.deep.equal(["NotifyStarted", "Validate", "NotifyFailure"]);
      expect(message(callsTo(run, "NotifyFailure")[0]).ImportResult!.error).to.deep.equal({
        Error: "ObjectChanged",
        Cause: "s3://contacts-drop/import/x.csv no longer has the version its event announced",
      });
    });

    it("a file with no row to import goes to the failure notice without an import job", async () => {
      const run = await execute(CP, {
        Validate: async () => ({ Payload: { ...VALIDATION, rows: { ...VALIDATION.rows, imported: 0 }, files: { ...VALIDATION.files, validated: null }, upload: null } }),
      });
      expect(run.calls.map((c) => c.state)).to.deep.equal(["NotifyStarted", "Validate", "NotifyFailure"]);
      expect((message(callsTo(run, "NotifyFailure")[0]).ImportResult!.error as { Error: string }).Error).to.equal("NoRowsToImport");
    });

    it("a failure notice that cannot be published still ends the execution failed", async () => {
      const run = await execute(CP, {
        GetUploadJob: async () => ({ Status: "FAILED" }),
        NotifyFailure: async () => {
          throw Object.assign(new Error("denied"), { name: "SNS.AuthorizationErrorException" });
        },
      });
      expect(callsTo(run, "NotifyFailure").length).to.equal(3);
      expect(failedWith(run)).to.equal("UploadJobFailed");
    });

    it("ses-contact-list: CreateImportJob with the contact list and the validated file, polled to COMPLETED", async () => {
      const run = await execute(SES, {});
      expect(run.error).to.equal(undefined);
      expect(callsTo(run, "CreateImportJob")[0]).to.deep.equal({
        ImportDestination: { ContactListDestination: { ContactListName: "main", ContactListImportAction: "PUT" } },
        ImportDataSource: { S3Url: `s3://work/validated/${EXECUTION}.csv`, DataFormat: "CSV" },
      });
      expect(callsTo(run, "GetImportJob")[0]).to.deep.equal({ JobId: "ses-job-1" });
      expect(callsTo(run, "NotifySuccess")).to.have.length(1);
    });

    it("ses-contact-list: COMPLETED with failed records is a failure with the counts; CANCELLED is a failure", async () => {
      const partial = await execute(SES, { GetImportJob: async () => ({ JobStatus: "COMPLETED", ProcessedRecordsCount: 5, FailedRecordsCount: 2 }) });
      expect((message(callsTo(partial, "NotifyFailure")[0]).ImportResult!.error as { Error: string }).Error).to.equal("ImportJobPartiallySucceeded");
      const cancelled = await execute(SES, { GetImportJob: async () => ({ JobStatus: "CANCELLED" }) });
      expect((message(callsTo(cancelled, "NotifyFailure")[0]).ImportResult!.error as { Error: string }).Error).to.equal("ImportJobFailed");
    });

    it("pinpoint: the seed's CreateImportJob with a segment (endpoints registered), then the campaign after the delay", async () => {
      const run = await execute(PINPOINT_CAMPAIGN, {
        GetImportJob: async () => ({ ImportJobResponse: { Id: "pp-job-1", JobStatus: "COMPLETED", Definition: { SegmentId: "seg-1" } } }),
        CreateCampaign: async () => ({ CampaignResponse: { Id: "camp-1", State: { CampaignStatus: "SCHEDULED" } } }),
      });
      expect(run.error).to.equal(undefined);
      expect(callsTo(run, "CreateImportJob")[0]).to.deep.equal({
        ApplicationId: "app123",
        ImportJobRequest: {
          DefineSegment: true,
          Format: "CSV",
          RegisterEndpoints: true,
          RoleArn: "arn:aws:iam::123456789012:role/import",
          S3Url: `s3://work/validated/${EXECUTION}.csv`,
          SegmentName: EXECUTION,
        },
      });
      expect(callsTo(run, "GetImportJob")[0]).to.deep.equal({ ApplicationId: "app123", JobId: "pp-job-1" });
      expect(callsTo(run, "CreateCampaign")[0]).to.deep.equal({
        ApplicationId: "app123",
        WriteCampaignRequest: {
          Name: EXECUTION,
          SegmentId: "seg-1",
          HoldoutPercent: 0,
          IsPaused: false,
          Schedule: { StartTime: "IMMEDIATE", Frequency: "ONCE" },
          MessageConfiguration: { SMSMessage: { MessageType: "TRANSACTIONAL" } },
          TemplateConfiguration: { SMSTemplate: { Name: "welcome" } },
        },
      });
      expect(message(callsTo(run, "NotifySuccess")[0]).ImportResult!.followUp).to.deep.equal({ CampaignId: "camp-1", CampaignStatus: "SCHEDULED" });
      const wait = (buildImportDefinition(PINPOINT_CAMPAIGN) as unknown as Definition).States.WaitBeforeCampaign;
      expect(wait).to.deep.equal({ Type: "Wait", Seconds: 900, Next: "CreateCampaign" });
    });

    it("pinpoint: FAILING is a failure; a campaign not scheduled is a failure", async () => {
      const failing = await execute(PINPOINT, { GetImportJob: async () => ({ ImportJobResponse: { JobStatus: "FAILING" } }) });
      expect((message(callsTo(failing, "NotifyFailure")[0]).ImportResult!.error as { Error: string }).Error).to.equal("ImportJobFailed");
      const invalid = await execute(PINPOINT_CAMPAIGN, {
        GetImportJob: async () => ({ ImportJobResponse: { JobStatus: "COMPLETED", Definition: { SegmentId: "seg-1" } } }),
        CreateCampaign: async () => ({ CampaignResponse: { Id: "camp-1", State: { CampaignStatus: "INVALID" } } }),
      });
      expect((message(callsTo(invalid, "NotifyFailure")[0]).ImportResult!.error as { Error: string }).Error).to.equal("CampaignNotScheduled");
    });
  });
});

/** Every elementary cycle's states (one representative per back edge), from Next, Choices, Default and Catch. */
function findCycles(states: Record<string, State>): string[][] {
  const edges = (state: State): string[] => {
    const out: string[] = [];
    if (typeof state.Next === "string") out.push(state.Next);
    if (typeof state.Default === "string") out.push(state.Default);
    for (const c of (state.Choices as { Next: string }[] | undefined) ?? []) out.push(c.Next);
    for (const c of (state.Catch as { Next: string }[] | undefined) ?? []) out.push(c.Next);
    return out;
  };
  const cycles: string[][] = [];
  const stack: string[] = [];
  const onStack = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string) => {
    stack.push(name);
    onStack.add(name);
    for (const next of edges(states[name])) {
      if (onStack.has(next)) cycles.push(stack.slice(stack.indexOf(next)));
      else if (!done.has(next)) visit(next);
    }
    stack.pop();
    onStack.delete(name);
    done.add(name);
  };
  for (const name of Object.keys(states)) if (!done.has(name)) visit(name);
  return cycles;
}
