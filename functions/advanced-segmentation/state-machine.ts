/**
 * The Standard state machine of #10, as data (JSONPath ASL). The component deploys exactly what
 * `segmentStateMachineDefinition` returns, and the tests execute the same definition in
 * aws-local-stepfunctions (pure: no SDK, no Pulumi).
 *
 *   Start query ─► Wait ─► Get query execution ─► Count poll ─► Query finished?
 *     SUCCEEDED ─► Diff (Lambda, loops with its cursor) ─► Any changes? ─► Apply changes (Distributed Map) ─► Notify success
 *     FAILED / CANCELLED ─► Notify failure ─► Run failed
 *     polls ≥ maxPolls ─► Stop query ─► Notify failure ─► Run failed
 *
 * Athena through the request-response integrations (startQueryExecution, getQueryExecution,
 * stopQueryExecution), not `startQueryExecution.sync`: .sync hides the polling, so it could be
 * bounded only by the Task's TimeoutSeconds, and it cannot be executed by the local interpreter.
 * The explicit loop is bounded twice (maxPolls, and every Task's TimeoutSeconds plus the
 * execution's), treats CANCELLED as a failure, and stops the query when the bound is hit.
 * StartQueryExecution carries a ClientRequestToken derived from the execution, so a retried start
 * does not run the query twice.
 */
import { SEGMENT_ERRORS } from "./contract";

export interface SegmentStateMachineSettings {
  workGroup: string;
  database: string;
  catalog: string;
  differArn: string;
  applierArn: string;
  topicArn: string;
  resultsBucket: string;
  /** Where the Distributed Map writes its run results (ResultWriter). */
  mapResultsPrefix: string;
  pollIntervalSeconds: number;
  maxPolls: number;
  /** TimeoutSeconds of the differ and applier Tasks (their Lambda timeout plus a margin). */
  differTimeoutSeconds: number;
  applierTimeoutSeconds: number;
  /** Change files applied at once (child executions of the Distributed Map). */
  applyConcurrency: number;
  /** TimeoutSeconds of the whole execution. */
  executionTimeoutSeconds: number;
}

/** State names, for tests and for the docs. */
export const STATES = {
  startQuery: "Start query",
  initPoll: "Init poll",
  wait: "Wait for query",
  getQuery: "Get query execution",
  countPoll: "Count poll",
  queryFinished: "Query finished?",
  queryFailed: "Query failed",
  queryCancelled: "Query cancelled",
  stopQuery: "Stop query",
  pollLimit: "Polling limit reached",
  startDiff: "Start diff",
  diff: "Diff",
  diffDone: "Diff done?",
  anyChanges: "Any changes?",
  apply: "Apply changes",
  applyFile: "Apply change file",
  fileFailed: "Change file failed",
  summarize: "Summarize",
  notifySuccess: "Notify success",
  notifyFailure: "Notify failure",
  runFailed: "Run failed",
  notificationFailed: "Notification failed",
} as const;

/** The errors a Lambda invoke raises when Lambda itself faulted or throttled (Step Functions' recommended retry set). */
export const LAMBDA_TRANSIENT_ERRORS = ["Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"];

const catchAll = (next: string) => [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: next }];

/** Request-response AWS calls that are safe to repeat: a read, a stop, a start with a ClientRequestToken, a publish. */
const serviceRetry = [{ ErrorEquals: ["States.TaskFailed", "States.Timeout"], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2, JitterStrategy: "FULL" }];

const lambdaRetry = (retryableAttempts: number) => [
  { ErrorEquals: LAMBDA_TRANSIENT_ERRORS, IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2, JitterStrategy: "FULL" },
  { ErrorEquals: [SEGMENT_ERRORS.retryable], IntervalSeconds: 5, MaxAttempts: retryableAttempts, BackoffRate: 2, MaxDelaySeconds: 300, JitterStrategy: "FULL" },
];

/** The Distributed Map's item processor: one child execution per change file. Runnable on its own. */
export function changeFileProcessor(s: Pick<SegmentStateMachineSettings, "applierArn" | "applierTimeoutSeconds">) {
  return {
    ProcessorConfig: { Mode: "DISTRIBUTED", ExecutionType: "STANDARD" },
    StartAt: STATES.applyFile,
    States: {
      [STATES.applyFile]: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: { FunctionName: s.applierArn, "Payload.$": "$" },
        ResultSelector: { "added.$": "$.Payload.added", "removed.$": "$.Payload.removed", "alreadyApplied.$": "$.Payload.alreadyApplied" },
        TimeoutSeconds: s.applierTimeoutSeconds,
        Retry: lambdaRetry(6),
        Catch: [{ ErrorEquals: ["States.ALL"], Next: STATES.fileFailed }],
        End: true,
      },
      [STATES.fileFailed]: { Type: "Fail", Error: "ChangeFileFailed", Cause: "Applying a change file failed; the child execution's history has the error" },
    },
  };
}

export function segmentStateMachineDefinition(s: SegmentStateMachineSettings) {
  const failure = (error: string, cause: string) => ({
    Type: "Pass",
    Parameters: { Error: error, "Cause.$": cause },
    ResultPath: "$.error",
    Next: STATES.notifyFailure,
  });
  return {
    Comment: "Advanced segmentation: run the segment's query, diff its members with the stored ones, add or remove the token, notify",
    QueryLanguage: "JSONPath",
    TimeoutSeconds: s.executionTimeoutSeconds,
    StartAt: STATES.startQuery,
    States: {
      [STATES.startQuery]: {
        Type: "Task",
        Resource: "arn:aws:states:::athena:startQueryExecution",
        Parameters: {
          "QueryString.$": "$.segment.queryString",
          WorkGroup: s.workGroup,
          QueryExecutionContext: { Catalog: s.catalog, Database: s.database },
          // 64 hex characters, within the API's 32–128: a retried start returns the same query.
          "ClientRequestToken.$": "States.Hash($$.Execution.Id, 'SHA-256')",
        },
        ResultSelector: { "id.$": "$.QueryExecutionId" },
        ResultPath: "$.query",
        TimeoutSeconds: 60,
        Retry: serviceRetry,
        Catch: catchAll(STATES.notifyFailure),
        Next: STATES.initPoll,
      },
      [STATES.initPoll]: { Type: "Pass", Result: { count: 0 }, ResultPath: "$.poll", Next: STATES.wait },
      [STATES.wait]: { Type: "Wait", Seconds: s.pollIntervalSeconds, Next: STATES.getQuery },
      [STATES.getQuery]: {
        Type: "Task",
        Resource: "arn:aws:states:::athena:getQueryExecution",
        Parameters: { "QueryExecutionId.$": "$.query.id" },
        ResultSelector: { "state.$": "$.QueryExecution.Status.State", "status.$": "$.QueryExecution.Status" },
        ResultPath: "$.query.status",
        TimeoutSeconds: 60,
        Retry: serviceRetry,
        Catch: catchAll(STATES.notifyFailure),
        Next: STATES.countPoll,
      },
      [STATES.countPoll]: { Type: "Pass", Parameters: { "count.$": "States.MathAdd($.poll.count, 1)" }, ResultPath: "$.poll", Next: STATES.queryFinished },
      [STATES.queryFinished]: {
        Type: "Choice",
        Choices: [
          { Variable: "$.query.status.state", StringEquals: "SUCCEEDED", Next: STATES.startDiff },
          { Variable: "$.query.status.state", StringEquals: "FAILED", Next: STATES.queryFailed },
          { Variable: "$.query.status.state", StringEquals: "CANCELLED", Next: STATES.queryCancelled },
          { Variable: "$.poll.count", NumericGreaterThanEquals: s.maxPolls, Next: STATES.stopQuery },
        ],
        Default: STATES.wait,
      },
      [STATES.queryFailed]: failure("QueryFailed", "$.query.status.status"),
      [STATES.queryCancelled]: failure("QueryCancelled", "$.query.status.status"),
      [STATES.stopQuery]: {
        Type: "Task",
        Resource: "arn:aws:states:::athena:stopQueryExecution",
        Parameters: { "QueryExecutionId.$": "$.query.id" },
        ResultPath: null,
        TimeoutSeconds: 60,
        Retry: serviceRetry,
        Catch: catchAll(STATES.notifyFailure),
        Next: STATES.pollLimit,
      },
      [STATES.pollLimit]: failure("QueryPollingLimit", `States.Format('The query was still running after {} polls; it was stopped', $.poll.count)`),
      [STATES.startDiff]: { Type: "Pass", Result: { cursor: {} }, ResultPath: "$.diff", Next: STATES.diff },
      [STATES.diff]: {
        Type: "Task",
        Resource: "arn:aws:states:::lambda:invoke",
        Parameters: {
          FunctionName: s.differArn,
          Payload: { "segment.$": "$.segment", "queryExecutionId.$": "$.query.id", "runId.$": "$$.Execution.Name", "cursor.$": "$.diff.cursor" },
        },
        ResultSelector: {
          "done.$": "$.Payload.done",
          "cursor.$": "$.Payload.cursor",
          "changesPrefix.$": "$.Payload.changesPrefix",
          "files.$": "$.Payload.files",
          "counts.$": "$.Payload.counts",
        },
        ResultPath: "$.diff",
        TimeoutSeconds: s.differTimeoutSeconds,
        Retry: lambdaRetry(6),
        Catch: catchAll(STATES.notifyFailure),
        Next: STATES.diffDone,
      },
      [STATES.diffDone]: { Type: "Choice", Choices: [{ Variable: "$.diff.done", BooleanEquals: true, Next: STATES.anyChanges }], Default: STATES.diff },
      [STATES.anyChanges]: { Type: "Choice", Choices: [{ Variable: "$.diff.files", NumericEquals: 0, Next: STATES.summarize }], Default: STATES.apply },
      [STATES.apply]: {
        Type: "Map",
        ItemReader: { Resource: "arn:aws:states:::s3:listObjectsV2", Parameters: { Bucket: s.resultsBucket, "Prefix.$": "$.diff.changesPrefix" } },
        ItemSelector: { "key.$": "$$.Map.Item.Value.Key" },
        ItemProcessor: changeFileProcessor(s),
        MaxConcurrency: s.applyConcurrency,
        ToleratedFailurePercentage: 0,
        ResultWriter: { Resource: "arn:aws:states:::s3:putObject", Parameters: { Bucket: s.resultsBucket, Prefix: s.mapResultsPrefix } },
        ResultPath: null,
        Retry: [{ ErrorEquals: ["States.ItemReaderFailed", "States.ResultWriterFailed"], IntervalSeconds: 5, MaxAttempts: 2, BackoffRate: 2 }],
        Catch: catchAll(STATES.notifyFailure),
        Next: STATES.summarize,
      },
      [STATES.summarize]: {
        Type: "Pass",
        Parameters: { "segment.$": "$.segment.name", "token.$": "$.segment.token", "execution.$": "$$.Execution.Name", "queryExecutionId.$": "$.query.id", "counts.$": "$.diff.counts" },
        ResultPath: "$.summary",
        Next: STATES.notifySuccess,
      },
      [STATES.notifySuccess]: {
        Type: "Task",
        Resource: "arn:aws:states:::sns:publish",
        Parameters: {
          TopicArn: s.topicArn,
          "Subject.$": "States.Format('Advanced segmentation: segment {} updated', $.segment.name)",
          "Message.$": "States.JsonToString($.summary)",
          MessageAttributes: { notification_type: { DataType: "String", StringValue: "success" } },
        },
        ResultPath: null,
        TimeoutSeconds: 60,
        Retry: serviceRetry,
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.notificationError", Next: STATES.notificationFailed }],
        End: true,
      },
      [STATES.notifyFailure]: {
        Type: "Task",
        Resource: "arn:aws:states:::sns:publish",
        Parameters: {
          TopicArn: s.topicArn,
          "Subject.$": "States.Format('Advanced segmentation: segment {} failed', $.segment.name)",
          "Message.$": "States.JsonToString($.error)",
          MessageAttributes: { notification_type: { DataType: "String", StringValue: "failure" } },
        },
        ResultPath: null,
        TimeoutSeconds: 60,
        Retry: serviceRetry,
        Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.notificationError", Next: STATES.runFailed }],
        Next: STATES.runFailed,
      },
      [STATES.runFailed]: { Type: "Fail", Error: "SegmentRunFailed", Cause: "The segment run failed; the failure notice and the execution history have the error" },
      [STATES.notificationFailed]: { Type: "Fail", Error: "NotificationFailed", Cause: "The segment was updated but the success notice could not be published" },
    },
  };
}
