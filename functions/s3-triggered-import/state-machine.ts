/**
 * The import state machine's definition (Amazon States Language, JSONPath), built from plain
 * values. Pure: the component deploys exactly what this returns, and the tests execute it in a
 * local interpreter and validate it with asl-validator.
 *
 * Shape: Initialize → NotifyStarted → Validate → (rows to import?) → the target's import →
 * bounded poll (Wait, Get, count, Choice) → optional follow-up → NotifySuccess; every Task retries
 * throttling and service errors with backoff and catches everything into NotifyFailure, which
 * publishes the failure notice and ends in a Fail state (so failed imports also fail the
 * execution, and its alarm fires).
 *
 * Direct service integrations are used wherever a Lambda would only forward a call (SNS publish,
 * the import-job APIs, the follow-up hand-off copy). Lambdas remain for the work a call cannot do:
 * streaming validation, and the Customer Profiles upload, whose pre-signed URL comes with the
 * upload's encryption key (kept out of the execution history).
 */
import { NOTICES, type ImportTarget, type NoticeType } from "./contract";

export interface ImportDefinitionOptions {
  target: ImportTarget;
  topicArn: string;
  validatorFunctionArn: string;
  /** Seconds the validator may run; its Task waits this plus a margin. */
  validatorTimeoutSeconds: number;
  pollIntervalSeconds: number;
  /** Polls of the import job before the execution gives up (with a failure notice). */
  maxPolls: number;
  customerProfiles?: { domainName: string; dataExpiryDays: number; uploaderFunctionArn: string; uploaderTimeoutSeconds: number };
  sesContactList?: { contactListName: string };
  pinpoint?: {
    applicationId: string;
    importRoleArn: string;
    /** The seed's SMS campaign for the imported segment, `delayMinutes` after the import. */
    followUpCampaign?: { delayMinutes: number; smsTemplateName: string; messageType: "TRANSACTIONAL" | "PROMOTIONAL" };
  };
  /** The default follow-up: copy the validator's send file into #9's drop bucket under its prefix. */
  followUpSmsFileDrop?: { bucketName: string; prefix: string };
}

type State = Record<string, unknown>;
type States = Record<string, State>;

/** Seconds an SDK-integration Task may take before it times out (and is retried). */
export const SDK_TASK_TIMEOUT_SECONDS = 60;
/** Seconds added to a Lambda's own timeout for its Task. */
const LAMBDA_TASK_MARGIN_SECONDS = 30;
/** Seconds of slack in the execution's TimeoutSeconds beyond the sum of every bounded step. */
const EXECUTION_MARGIN_SECONDS = 3600;

/** Errors Lambda raises when the invoke itself failed (AWS's documented retry set), and our handlers' throttling. */
const LAMBDA_TRANSIENT = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException", "ThrottlingException"];

/** Errors our handlers raise that no retry fixes: the dropped file changed since its event. */
const LAMBDA_PERMANENT = ["ObjectChanged"];

/**
 * Throttling and service errors per integration, as Step Functions names AWS SDK errors
 * (`<Service>.<Exception>`). The prefixes for customerprofiles and sesv2 are not in AWS's
 * examples: both spellings of sesv2's are listed (see the docs page, "Unverified").
 */
export const TRANSIENT_ERRORS = {
  sns: ["SNS.ThrottledException", "SNS.InternalErrorException", "SNS.KMSThrottlingException"],
  customerProfiles: ["CustomerProfiles.ThrottlingException", "CustomerProfiles.InternalServerException"],
  sesv2: ["SesV2.TooManyRequestsException", "SESv2.TooManyRequestsException"],
  pinpoint: ["Pinpoint.TooManyRequestsException", "Pinpoint.InternalServerErrorException"],
  // S3 error codes lack the suffix; Step Functions adds "Exception" (AWS's S3.BucketAlreadyExistsException example).
  s3: ["S3.SlowDownException", "S3.InternalErrorException", "S3.ServiceUnavailableException"],
} as const;

const backoff = { IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: "FULL" };

/**
 * Retry for a Task: its transient errors with backoff and, for calls safe to repeat (reads,
 * publishes, copies to a fixed key), any other task failure twice more. Create calls are not
 * repeated on unknown errors: a second import job for the same file is worse than a failure notice.
 */
function retry(transient: readonly string[], repeatable: boolean, permanent: readonly string[] = []): Record<string, unknown>[] {
  // MaxAttempts 0: errors no retry can fix, matched before the catch-all below.
  const retriers: Record<string, unknown>[] = permanent.length > 0 ? [{ ErrorEquals: [...permanent], MaxAttempts: 0 }] : [];
  retriers.push({ ErrorEquals: [...transient, "States.Timeout"], ...backoff });
  if (repeatable) retriers.push({ ErrorEquals: ["States.TaskFailed"], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 2, JitterStrategy: "FULL" });
  return retriers;
}

const CATCH_TO_FAILURE = [{ ErrorEquals: ["States.ALL"], ResultPath: "$.failure", Next: "NotifyFailure" }];

function task(
  resource: string,
  fields: State & { Next?: string; timeoutSeconds?: number; transient: readonly string[]; repeatable: boolean; permanent?: readonly string[] },
): State {
  const { timeoutSeconds, transient, repeatable, permanent, ...rest } = fields;
  return {
    Type: "Task",
    Resource: resource,
    TimeoutSeconds: timeoutSeconds ?? SDK_TASK_TIMEOUT_SECONDS,
    ...rest,
    Retry: retry(transient, repeatable, permanent),
    Catch: CATCH_TO_FAILURE,
  };
}

function lambdaTask(functionArn: string, payload: State, timeoutSeconds: number, fields: State): State {
  return task("arn:aws:states:::lambda:invoke", {
    Parameters: { FunctionName: functionArn, Payload: payload },
    timeoutSeconds: timeoutSeconds + LAMBDA_TASK_MARGIN_SECONDS,
    transient: LAMBDA_TRANSIENT,
    // Both handlers are idempotent: the validator rewrites the same keys, the upload PUTs the same file.
    repeatable: true,
    permanent: LAMBDA_PERMANENT,
    ...fields,
  });
}

function notice(type: NoticeType, topicArn: string, body: State, next: State): State {
  return task("arn:aws:states:::sns:publish", {
    Parameters: {
      TopicArn: topicArn,
      Subject: NOTICES[type].subject,
      Message: { Message: NOTICES[type].message, ...body },
      MessageAttributes: { notification_type: { DataType: "String", StringValue: type } },
    },
    ResultPath: null,
    transient: TRANSIENT_ERRORS.sns,
    repeatable: true,
    ...next,
  });
}

/** A Pass state that records why the import failed, then the failure notice. */
function failWith(error: string, cause: string): State {
  return { Type: "Pass", Result: { Error: error, Cause: cause }, ResultPath: "$.failure", Next: "NotifyFailure" };
}

/** How a target's job statuses are read: each terminal and pending status is listed explicitly. */
interface PollSpec {
  /** State names are prefixed with it, e.g. "UploadJob". */
  name: string;
  getTask: State;
  statusPath: string;
  succeeded: string[];
  /** Statuses that completed with some records failed: reported as a failure with the counts. */
  partial?: { status: string; failedCountPath?: string }[];
  failed: string[];
  pending: string[];
  /** Where a success goes. */
  next: string;
}

/**
 * The bounded poll: Wait → Get → count → Choice. Success, partial success and failure are matched
 * explicitly; a pending status loops only while the count is below maxPolls; anything else
 * (an unknown status) is a failure.
 */
function pollLoop(spec: PollSpec, options: ImportDefinitionOptions): States {
  const { name } = spec;
  const pendingChoices = spec.pending.map((status) => ({ Variable: spec.statusPath, StringEquals: status }));
  const partialChoices = (spec.partial ?? []).map(({ status, failedCountPath }) => ({
    Next: `${name}PartiallySucceeded`,
    And: [
      { Variable: spec.statusPath, StringEquals: status },
      ...(failedCountPath === undefined ? [] : [{ Variable: failedCountPath, IsPresent: true }, { Variable: failedCountPath, NumericGreaterThan: 0 }]),
    ],
  }));
  return {
    [`${name}StartPolling`]: { Type: "Pass", Result: { count: 0 }, ResultPath: "$.poll", Next: `${name}Wait` },
    [`${name}Wait`]: { Type: "Wait", Seconds: options.pollIntervalSeconds, Next: `Get${name}` },
    [`Get${name}`]: { ...spec.getTask, ResultPath: "$.jobStatus", Next: `${name}CountPoll` },
    [`${name}CountPoll`]: { Type: "Pass", Parameters: { "count.$": "States.MathAdd($.poll.count, 1)" }, ResultPath: "$.poll", Next: `${name}Finished` },
    [`${name}Finished`]: {
      Type: "Choice",
      Choices: [
        // Partial first: SES reports COMPLETED also when some records failed.
        ...partialChoices,
        { Or: spec.succeeded.map((s) => ({ Variable: spec.statusPath, StringEquals: s })), Next: spec.next },
        { Or: spec.failed.map((s) => ({ Variable: spec.statusPath, StringEquals: s })), Next: `${name}Failed` },
        { And: [{ Or: pendingChoices }, { Variable: "$.poll.count", NumericLessThan: options.maxPolls }], Next: `${name}Wait` },
        { Or: pendingChoices, Next: `${name}PollLimitReached` },
      ],
      Default: `${name}UnknownStatus`,
    },
    ...(spec.partial ? { [`${name}PartiallySucceeded`]: failWith(`${name}PartiallySucceeded`, "the import job completed, but some records failed: see jobStatus for the counts") } : {}),
    [`${name}Failed`]: failWith(`${name}Failed`, "the import job ended without success: see jobStatus"),
    [`${name}PollLimitReached`]: failWith(`${name}PollLimitReached`, `the import job was still running after ${options.maxPolls} polls`),
    [`${name}UnknownStatus`]: failWith(`${name}UnknownStatus`, "the import job reported a status this state machine does not know"),
  };
}

function customerProfilesStates(options: ImportDefinitionOptions, next: string): States {
  const cp = options.customerProfiles;
  if (cp === undefined) throw new Error("target customer-profiles needs customerProfiles options");
  const sdk = (api: string) => `arn:aws:states:::aws-sdk:customerprofiles:${api}`;
  return {
    // CreateUploadJob carries the column-to-field mapping and the unique key itself.
    CreateUploadJob: task(sdk("createUploadJob"), {
      Parameters: {
        DomainName: cp.domainName,
        "DisplayName.$": "$$.Execution.Name",
        "Fields.$": "$.validation.upload.fields",
        "UniqueKey.$": "$.validation.upload.uniqueKey",
        DataExpiry: cp.dataExpiryDays,
      },
      ResultSelector: { "JobId.$": "$.JobId" },
      ResultPath: "$.job",
      transient: TRANSIENT_ERRORS.customerProfiles,
      repeatable: false,
      Next: "UploadFile",
    }),
    UploadFile: lambdaTask(
      cp.uploaderFunctionArn,
      { "jobId.$": "$.job.JobId", "bucket.$": "$.validation.files.validated.bucket", "key.$": "$.validation.files.validated.key" },
      cp.uploaderTimeoutSeconds,
      { ResultPath: null, Next: "StartUploadJob" },
    ),
    StartUploadJob: task(sdk("startUploadJob"), {
      Parameters: { DomainName: cp.domainName, "JobId.$": "$.job.JobId" },
      ResultPath: null,
      transient: TRANSIENT_ERRORS.customerProfiles,
      // Starting a started job fails rather than importing twice.
      repeatable: true,
      Next: "UploadJobStartPolling",
    }),
    ...pollLoop(
      {
        name: "UploadJob",
        getTask: task(sdk("getUploadJob"), {
          Parameters: { DomainName: cp.domainName, "JobId.$": "$.job.JobId" },
          transient: TRANSIENT_ERRORS.customerProfiles,
          repeatable: true,
        }),
        statusPath: "$.jobStatus.Status",
        succeeded: ["SUCCEEDED"],
        partial: [{ status: "PARTIALLY_SUCCEEDED" }],
        failed: ["FAILED", "STOPPED"],
        pending: ["CREATED", "IN_PROGRESS"],
        next,
      },
      options,
    ),
  };
}

function sesContactListStates(options: ImportDefinitionOptions, next: string): States {
  const ses = options.sesContactList;
  if (ses === undefined) throw new Error("target ses-contact-list needs sesContactList options");
  const sdk = (api: string) => `arn:aws:states:::aws-sdk:sesv2:${api}`;
  return {
    CreateImportJob: task(sdk("createImportJob"), {
      Parameters: {
        ImportDestination: { ContactListDestination: { ContactListName: ses.contactListName, ContactListImportAction: "PUT" } },
        ImportDataSource: { "S3Url.$": "$.validation.files.validated.s3Url", DataFormat: "CSV" },
      },
      ResultSelector: { "JobId.$": "$.JobId" },
      ResultPath: "$.job",
      transient: TRANSIENT_ERRORS.sesv2,
      repeatable: false,
      Next: "ImportJobStartPolling",
    }),
    ...pollLoop(
      {
        name: "ImportJob",
        getTask: task(sdk("getImportJob"), { Parameters: { "JobId.$": "$.job.JobId" }, transient: TRANSIENT_ERRORS.sesv2, repeatable: true }),
        statusPath: "$.jobStatus.JobStatus",
        succeeded: ["COMPLETED"],
        partial: [{ status: "COMPLETED", failedCountPath: "$.jobStatus.FailedRecordsCount" }],
        failed: ["FAILED", "CANCELLED"],
        pending: ["CREATED", "PROCESSING"],
        next,
      },
      options,
    ),
  };
}

function pinpointStates(options: ImportDefinitionOptions, next: string): States {
  const pp = options.pinpoint;
  if (pp === undefined) throw new Error("target pinpoint needs pinpoint options");
  const sdk = (api: string) => `arn:aws:states:::aws-sdk:pinpoint:${api}`;
  const campaign = pp.followUpCampaign;
  return {
    CreateImportJob: task(sdk("createImportJob"), {
      Parameters: {
        ApplicationId: pp.applicationId,
        ImportJobRequest: {
          DefineSegment: true,
          Format: "CSV",
          // Endpoints are upserted by their Id column when the file has one (no duplicates on re-import).
          RegisterEndpoints: true,
          RoleArn: pp.importRoleArn,
          "S3Url.$": "$.validation.files.validated.s3Url",
          "SegmentName.$": "$$.Execution.Name",
        },
      },
      ResultSelector: { "JobId.$": "$.ImportJobResponse.Id" },
      ResultPath: "$.job",
      transient: TRANSIENT_ERRORS.pinpoint,
      repeatable: false,
      Next: "ImportJobStartPolling",
    }),
    ...pollLoop(
      {
        name: "ImportJob",
        getTask: task(sdk("getImportJob"), {
          Parameters: { ApplicationId: pp.applicationId, "JobId.$": "$.job.JobId" },
          transient: TRANSIENT_ERRORS.pinpoint,
          repeatable: true,
        }),
        statusPath: "$.jobStatus.ImportJobResponse.JobStatus",
        succeeded: ["COMPLETED"],
        partial: [{ status: "COMPLETED", failedCountPath: "$.jobStatus.ImportJobResponse.TotalFailures" }],
        failed: ["FAILED", "FAILING"],
        pending: ["CREATED", "PREPARING_FOR_INITIALIZATION", "INITIALIZING", "PROCESSING", "PENDING_JOB", "COMPLETING"],
        next: campaign === undefined ? next : "WaitBeforeCampaign",
      },
      options,
    ),
    ...(campaign === undefined
      ? {}
      : {
          WaitBeforeCampaign: { Type: "Wait", Seconds: campaign.delayMinutes * 60, Next: "CreateCampaign" },
          CreateCampaign: task(sdk("createCampaign"), {
            Parameters: {
              ApplicationId: pp.applicationId,
              WriteCampaignRequest: {
                "Name.$": "$$.Execution.Name",
                "SegmentId.$": "$.jobStatus.ImportJobResponse.Definition.SegmentId",
                HoldoutPercent: 0,
                IsPaused: false,
                Schedule: { StartTime: "IMMEDIATE", Frequency: "ONCE" },
                MessageConfiguration: { SMSMessage: { MessageType: campaign.messageType } },
                TemplateConfiguration: { SMSTemplate: { Name: campaign.smsTemplateName } },
              },
            },
            ResultSelector: { "CampaignId.$": "$.CampaignResponse.Id", "CampaignStatus.$": "$.CampaignResponse.State.CampaignStatus" },
            ResultPath: "$.followUp",
            transient: TRANSIENT_ERRORS.pinpoint,
            repeatable: false,
            Next: "CampaignCreated",
          }),
          CampaignCreated: {
            Type: "Choice",
            Choices: [
              {
                Or: ["SCHEDULED", "EXECUTING", "PENDING_NEXT_RUN", "COMPLETED"].map((s) => ({ Variable: "$.followUp.CampaignStatus", StringEquals: s })),
                Next: next,
              },
            ],
            Default: "CampaignNotScheduled",
          },
          CampaignNotScheduled: failWith("CampaignNotScheduled", "the follow-up campaign was created but is not scheduled: see followUp"),
        }),
  };
}

/** A literal for a States.Format template: its special characters escaped. */
function formatLiteral(text: string): string {
  return text.replace(/[\\'{}]/g, "\\$&");
}

function followUpSmsStates(drop: NonNullable<ImportDefinitionOptions["followUpSmsFileDrop"]>, next: string): States {
  const key = `States.Format('${formatLiteral(drop.prefix)}{}.csv', $$.Execution.Name)`;
  return {
    FollowUpRowsToSend: {
      Type: "Choice",
      Choices: [{ And: [{ Not: { Variable: "$.validation.files.followUp", IsNull: true } }, { Variable: "$.validation.rows.followUp", NumericGreaterThan: 0 }], Next: "HandOffFollowUp" }],
      Default: next,
    },
    // #9 picks the file up from its drop prefix; the key is the execution's, so a retried copy
    // writes the same object and #9 (once per bucket/key/ETag) sends each row once.
    HandOffFollowUp: task("arn:aws:states:::aws-sdk:s3:copyObject", {
      Parameters: {
        Bucket: drop.bucketName,
        "Key.$": key,
        "CopySource.$": "States.Format('{}/{}', $.validation.files.followUp.bucket, $.validation.files.followUp.key)",
      },
      ResultSelector: { status: "HANDED_OFF", "key.$": key, bucket: drop.bucketName },
      ResultPath: "$.followUp",
      transient: TRANSIENT_ERRORS.s3,
      repeatable: true,
      Next: next,
    }),
  };
}

/** The execution's upper bound: every bounded step at its maximum, plus a margin. */
export function executionTimeoutSeconds(options: ImportDefinitionOptions): number {
  const poll = options.maxPolls * (options.pollIntervalSeconds + SDK_TASK_TIMEOUT_SECONDS);
  const upload = options.customerProfiles ? options.customerProfiles.uploaderTimeoutSeconds + LAMBDA_TASK_MARGIN_SECONDS : 0;
  const campaign = options.pinpoint?.followUpCampaign ? options.pinpoint.followUpCampaign.delayMinutes * 60 : 0;
  return options.validatorTimeoutSeconds + LAMBDA_TASK_MARGIN_SECONDS + upload + poll + campaign + EXECUTION_MARGIN_SECONDS;
}

export function buildImportDefinition(options: ImportDefinitionOptions): Record<string, unknown> {
  const afterImport = options.followUpSmsFileDrop !== undefined ? "FollowUpRowsToSend" : "NotifySuccess";
  const targetStates =
    options.target === "customer-profiles"
      ? customerProfilesStates(options, afterImport)
      : options.target === "ses-contact-list"
        ? sesContactListStates(options, afterImport)
        : pinpointStates(options, afterImport);
  const firstTargetState = options.target === "customer-profiles" ? "CreateUploadJob" : "CreateImportJob";
  const resultBody = (extra: State) => ({
    ImportResult: {
      target: options.target,
      "file.$": "$.file",
      "rows.$": "$.validation.rows",
      "errorReport.$": "$.validation.files.errorReport",
      "invalidRows.$": "$.validation.invalidRows",
      "job.$": "$.job",
      "jobStatus.$": "$.jobStatus",
      "followUp.$": "$.followUp",
      ...extra,
    },
  });
  return {
    Comment: `S3-triggered contact import (${options.target})`,
    StartAt: "Initialize",
    TimeoutSeconds: executionTimeoutSeconds(options),
    States: {
      // Every path a notice reads exists from the start, so a notice never fails on a missing one.
      Initialize: {
        Type: "Pass",
        Parameters: {
          "file.$": "$",
          validation: { rows: null, files: { validated: null, errorReport: null, followUp: null }, invalidRows: [], upload: null },
          job: null,
          jobStatus: null,
          followUp: null,
          failure: null,
          poll: { count: 0 },
        },
        Next: "NotifyStarted",
      },
      NotifyStarted: notice("started", options.topicArn, { "Input.$": "$.file" }, { Next: "Validate" }),
      Validate: lambdaTask(
        options.validatorFunctionArn,
        { "bucket.$": "$.file.bucket", "key.$": "$.file.key", "etag.$": "$.file.etag", "versionId.$": "$.file.versionId", "executionName.$": "$$.Execution.Name" },
        options.validatorTimeoutSeconds,
        {
          ResultSelector: {
            "rows.$": "$.Payload.rows",
            "files.$": "$.Payload.files",
            "invalidRows.$": "$.Payload.invalidRows",
            "upload.$": "$.Payload.upload",
          },
          ResultPath: "$.validation",
          Next: "AnyRowsToImport",
        },
      ),
      AnyRowsToImport: {
        Type: "Choice",
        Choices: [{ Variable: "$.validation.rows.imported", NumericGreaterThan: 0, Next: firstTargetState }],
        Default: "NoRowsToImport",
      },
      NoRowsToImport: failWith("NoRowsToImport", "the file has no row to import: see errorReport"),
      ...targetStates,
      ...(options.followUpSmsFileDrop !== undefined ? followUpSmsStates(options.followUpSmsFileDrop, "NotifySuccess") : {}),
      NotifySuccess: notice("success", options.topicArn, resultBody({}), { End: true }),
      NotifyFailure: {
        ...notice("failure", options.topicArn, resultBody({ "error.$": "$.failure" }), { Next: "ImportFailed" }),
        // The failure notice's own failure ends the execution (failed, alarmed) without looping back.
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.noticeFailure", Next: "ImportFailed" }],
      },
      ImportFailed: { Type: "Fail", ErrorPath: "$.failure.Error", CausePath: "$.failure.Cause" },
    },
  };
}
