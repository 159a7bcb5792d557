import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as z from "zod";
import { STARTER, UPLOADER, VALIDATOR, WORK_PREFIXES } from "../../functions/s3-triggered-import/contract";
import { buildImportDefinition, type ImportDefinitionOptions } from "../../functions/s3-triggered-import/state-machine";
import { defineContract, environmentFor, passThrough, resolveSettings, type ContractArgs, type ContractSettings } from "../kit/contract";
import {
  anyAboveZeroAlarm,
  architectureDashboard,
  arnBuilder,
  type ArnBuilder,
  BundledFunction,
  createAsyncFailureQueue,
  createServiceKey,
  dashboardFunction,
  EncryptedTopic,
  existingOrCreate,
  functionPlatform,
  type PlatformArgs,
  policyDocument,
  type PolicyStatement,
  SecureBucket,
  serviceTrustPolicy,
  stableName,
} from "../shared";
import { objectCreatedPattern } from "../shared/s3-events";
import { ArgumentErrors } from "../shared/validation";
import { dataFlow, external } from "../shared/flow";

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:/;
const FOLDER = /^([A-Za-z0-9!_.()-]+\/)*$/;
const DEFAULT_FILE_RETENTION_DAYS = 30;
const DEFAULT_DOMAIN_EXPIRATION_DAYS = 366;

const FOLLOW_UP_SMS = z
  .strictObject({
    message: z.string().min(1).max(1600).describe("The message body."),
    originationIdentity: z.string().min(1).describe("The identity #9 sends from (one of #9's originationIdentities)."),
    messageType: z.enum(["TRANSACTIONAL", "PROMOTIONAL"]).default("TRANSACTIONAL").describe("TRANSACTIONAL or PROMOTIONAL."),
  })
  .optional()
  .describe(
    "Message every imported SMS contact once the import succeeded ({message, originationIdentity, messageType}): the rows are handed to #9's SMS file drop (needs smsFileDrop enabled). Default: no follow-up.",
  );

/** The settings every target shares. */
const SHARED = {
  existingBucketName: passThrough(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name"))
    .optional()
    .describe("Watch this existing bucket (turn on its EventBridge notifications yourself; its other notifications are left alone). Default: create one."),
  existingBucketKmsKeyArn: passThrough(z.string().regex(KMS_KEY_ARN, "must be a KMS key ARN")).optional().describe("The KMS key of existingBucketName, if it uses SSE-KMS."),
  prefix: z.string().regex(FOLDER, 'must be a key prefix ending in "/" (a folder), without "*" or "?"').default("import/").describe("Key prefix of the files to import."),
  suffixes: z
    .array(z.string().regex(/^\.[A-Za-z0-9]{1,10}$/, 'must be an extension such as ".csv"'))
    .min(1)
    .default([".csv", ".json"])
    .describe('Key suffixes that trigger an import; ".json"/".jsonl"/".ndjson" files are read as JSON lines, others as CSV.'),
  fileRetentionDays: z.int().min(1).max(3650).optional().describe(`Created bucket only: days after which dropped files expire (default ${DEFAULT_FILE_RETENTION_DAYS}).`),
  forceDestroyBucket: z.boolean().optional().describe("Created bucket only: let `pulumi destroy` delete it while it holds files (default false)."),
  workFileRetentionDays: z.int().min(1).max(365).default(7).describe("Days the validated files, error reports and follow-up files (personal data) are kept in the work bucket."),
  validatePhoneNumbers: z.boolean().default(true).describe("Validate and normalize SMS/VOICE numbers with PhoneNumberValidate (the seed's ValidatePhone)."),
  assumeUs: z.boolean().default(true).describe('A number of exactly 10 digits is sent as "+1" and its digits (the seed\'s AssumeUS).'),
  validationConcurrency: z.int().min(1).max(100).default(10).describe("PhoneNumberValidate calls in flight at once."),
  validatorTimeoutSeconds: z.int().min(60).max(900).default(900).describe("Validator timeout, seconds."),
  validatorMemorySizeMb: z.int().min(256).max(10240).default(1024).describe("Validator memory, MB."),
  pollIntervalSeconds: z.int().min(5).max(3600).default(30).describe("Seconds between two polls of the import job."),
  maxPolls: z.int().min(1).max(5000).default(240).describe("Polls of the import job before the import is reported failed (with pollIntervalSeconds, the longest wait)."),
};

const TARGET = "Where contacts are imported: customer-profiles (a Customer Profiles upload job), ses-contact-list (email rows, SES v2 import job) or pinpoint (legacy import job).";

/** #3's settings, declared once: the component's arguments and validation, the stack config and the docs come from here. */
export const S3_TRIGGERED_IMPORT = defineContract(
  "S3TriggeredImport",
  z
    .discriminatedUnion("target", [
      z.strictObject({
        target: z.literal("customer-profiles").default("customer-profiles").describe(TARGET),
        ...SHARED,
        existingDomainName: passThrough(z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be a Customer Profiles domain name"))
          .optional()
          .describe("Import into this existing Customer Profiles domain. Default: create one (KMS-encrypted)."),
        domainExpirationDays: z.int().min(1).max(1098).optional().describe(`Created domain only: the domain's default expiration of profile data, days (default ${DEFAULT_DOMAIN_EXPIRATION_DAYS}).`),
        dataExpiryDays: z
          .int()
          .min(1)
          .max(1098)
          .default(366)
          .describe("Days the imported profile data is kept (the upload job's DataExpiry; AWS's default when none is given is 14 days)."),
        followUpSms: FOLLOW_UP_SMS,
      }),
      z.strictObject({
        target: z.literal("ses-contact-list").describe(TARGET),
        ...SHARED,
        contactListName: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be an SES contact list name").describe("The SES v2 contact list the EMAIL rows are imported into (an account has at most one)."),
        createContactList: z.boolean().default(false).describe("Create the contact list (fails if the account already has one). Default: it exists."),
        followUpSms: FOLLOW_UP_SMS,
      }),
      z.strictObject({
        target: z.literal("pinpoint").describe(TARGET),
        ...SHARED,
        pinpointApplicationId: passThrough(z.string().regex(/^[A-Za-z0-9]{1,64}$/, "must be a Pinpoint project id")).describe("The Pinpoint project the import job and its segment go to."),
        autoCreateCampaign: z.boolean().default(false).describe("Create the seed's SMS campaign for the imported segment (a real boolean: the seed's flag never matched)."),
        campaignDelayMinutes: z.int().min(0).max(10080).default(15).describe("Minutes between the import's success and the campaign."),
        campaignSmsTemplateName: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "must be a Pinpoint template name").optional().describe("The SMS template of the campaign (required with autoCreateCampaign)."),
        campaignMessageType: z.enum(["TRANSACTIONAL", "PROMOTIONAL"]).default("TRANSACTIONAL").describe("The campaign's SMS message type."),
      }),
    ])
    .superRefine((s, ctx) => {
      const issue = (path: string[], message: string) => ctx.addIssue({ code: "custom", path, message });
      if (s.existingBucketName !== undefined) {
        for (const key of ["fileRetentionDays", "forceDestroyBucket"] as const) if (s[key] !== undefined) issue([key], "applies only to a created bucket (not with existingBucketName)");
      } else if (s.existingBucketKmsKeyArn !== undefined) {
        issue(["existingBucketKmsKeyArn"], "applies only with existingBucketName");
      }
      if (s.target === "pinpoint" && s.autoCreateCampaign && s.campaignSmsTemplateName === undefined) issue(["campaignSmsTemplateName"], "is required with autoCreateCampaign");
      if (s.target === "customer-profiles" && s.existingDomainName !== undefined && s.domainExpirationDays !== undefined) {
        issue(["domainExpirationDays"], "applies only to a created domain (not with existingDomainName)");
      }
    })
    .transform((s) => (s.existingBucketName === undefined ? { ...s, fileRetentionDays: s.fileRetentionDays ?? DEFAULT_FILE_RETENTION_DAYS } : s)),
);

/**
 * Where the default follow-up hands its send file: #9's drop bucket and prefix (its
 * SMS_SEND_FILE_DROP capability), the key a writer needs, and #9's header names.
 */
export interface SmsSendFileDrop {
  bucketName: pulumi.Input<string>;
  prefix: string;
  /** The bucket's KMS key, when it uses SSE-KMS. */
  kmsKeyArn?: pulumi.Input<string>;
  /** #9's header names for its canonical columns, in canonical order. */
  header: string[];
}

export type S3TriggeredImportArgs = ContractArgs<typeof S3_TRIGGERED_IMPORT.settings> &
  PlatformArgs & {
    /** Required with followUpSms: #9's drop (the stack passes its SMS_SEND_FILE_DROP capability). */
    followUpSmsFileDrop?: SmsSendFileDrop;
  };
type Settings = ContractSettings<typeof S3_TRIGGERED_IMPORT.settings>;

/**
 * Architecture #3, Amazon S3 Triggered Endpoint Imports: a file dropped under a prefix → EventBridge
 * → starter Lambda (one execution per object version) → Standard state machine: started notice,
 * streaming validation, the target's import job with a bounded poll, an optional follow-up, and a
 * success or failure notice on an encrypted SNS topic.
 */
export class S3TriggeredImport extends pulumi.ComponentResource {
  /** The created drop bucket, or undefined with existingBucketName. */
  public readonly bucket: aws.s3.Bucket | undefined;
  public readonly bucketName: pulumi.Output<string>;
  /** Validated files, error reports and follow-up files (expire after workFileRetentionDays). */
  public readonly workBucket: aws.s3.Bucket;
  public readonly topic: aws.sns.Topic;
  public readonly stateMachine: aws.sfn.StateMachine;
  public readonly stateMachineLogGroup: aws.cloudwatch.LogGroup;
  public readonly starter: aws.lambda.Function;
  public readonly validator: aws.lambda.Function;
  /** customer-profiles only. */
  public readonly uploader: aws.lambda.Function | undefined;
  public readonly failureQueue: aws.sqs.Queue;
  /** The created Customer Profiles domain (customer-profiles, without existingDomainName). */
  public readonly domain: aws.customerprofiles.Domain | undefined;
  public readonly domainName: pulumi.Output<string> | undefined;
  public readonly rule: aws.cloudwatch.EventRule;
  public readonly alarms: aws.cloudwatch.MetricAlarm[];
  public readonly dashboard: aws.cloudwatch.Dashboard | undefined;

  constructor(name: string, args: S3TriggeredImportArgs, opts?: pulumi.ComponentResourceOptions) {
    super("due:contacts:S3TriggeredImport", name, {}, opts);
    const settings = resolveSettings(S3_TRIGGERED_IMPORT, args);
    const errors = new ArgumentErrors("S3TriggeredImport");
    const followUpSms = settings.target === "pinpoint" ? undefined : settings.followUpSms;
    errors.check(followUpSms !== undefined && args.followUpSmsFileDrop === undefined, "followUpSms needs followUpSmsFileDrop (#9's drop bucket, prefix and header)");
    errors.check(followUpSms === undefined && args.followUpSmsFileDrop !== undefined, "followUpSmsFileDrop applies only with followUpSms");
    errors.throwIfAny();
    const drop = followUpSms === undefined ? undefined : args.followUpSmsFileDrop;
    const arn = arnBuilder({ parent: this });
    const { prefix } = settings;

    // The drop bucket: created (EventBridge notifications on, owned here) or existing (the owner turns them on).
    const files = existingOrCreate(
      settings.existingBucketName,
      () =>
        new SecureBucket(
          `${name}-drop`,
          { forceDestroy: settings.forceDestroyBucket, lifecycleRules: [{ id: "expire-dropped-files", prefix, expirationDays: settings.fileRetentionDays }] },
          { parent: this },
        ),
      (created) => created.bucket.bucket,
    );
    this.bucket = files.created?.bucket;
    this.bucketName = files.value;
    const dropBucketArn = files.created ? files.created.bucket.arn : pulumi.interpolate`arn:${arn.partition}:s3:::${this.bucketName}`;
    files.created?.notify(`${name}-notification`, { eventBridge: true }, { parent: this });

    // The work bucket: never the trigger bucket's prefix, so a written file never starts an import.
    // SES's read grant names the bucket, which exists only once SecureBucket made it: the ARN is
    // handed to the policy when known (the policy depends on the bucket either way).
    let resolveWorkArn: (arn: pulumi.Output<string>) => void = () => undefined;
    const workArn = pulumi.output(new Promise<pulumi.Output<string>>((resolve) => (resolveWorkArn = resolve))) as unknown as pulumi.Output<string>;
    const work = new SecureBucket(
      `${name}-work`,
      {
        versioning: false,
        lifecycleRules: [{ id: "expire-work-files", expirationDays: settings.workFileRetentionDays }],
        extraPolicyStatements: settings.target === "ses-contact-list" ? [sesReadStatement(workArn, arn)] : [],
      },
      { parent: this },
    );
    this.workBucket = work.bucket;
    resolveWorkArn(work.bucket.arn);

    const notices = new EncryptedTopic(`${name}-notifications`, { displayName: "Contact import notifications", publishers: [] }, { parent: this });
    this.topic = notices.topic;

    const common = { ...functionPlatform(args), alarmActions: args.alarmActions };
    const validator = new BundledFunction(
      `${name}-validator`,
      {
        ...common,
        handler: VALIDATOR,
        description: "Streams a dropped contact file, validates phone numbers and writes the import file",
        timeoutSeconds: settings.validatorTimeoutSeconds,
        memorySizeMb: settings.validatorMemorySizeMb,
        environment: environmentFor(VALIDATOR, {
          TARGET: settings.target,
          WORK_BUCKET: this.workBucket.bucket,
          VALIDATE_PHONE_NUMBERS: String(settings.validatePhoneNumbers),
          ASSUME_US: String(settings.assumeUs),
          VALIDATION_CONCURRENCY: String(settings.validationConcurrency),
          FOLLOW_UP_SMS:
            followUpSms === undefined || drop === undefined
              ? ""
              : JSON.stringify({ message: followUpSms.message, originationIdentity: followUpSms.originationIdentity, messageType: followUpSms.messageType, header: drop.header }),
        }),
        policyStatements: validatorStatements({
          dropBucketArn,
          prefix,
          dropKeyArn: settings.existingBucketKmsKeyArn,
          workBucketArn: this.workBucket.arn,
          validatePhoneNumbers: settings.validatePhoneNumbers,
          phoneValidateArn: arn("mobiletargeting", "phone/number/validate"),
        }),
      },
      { parent: this },
    );
    this.validator = validator.function;

    const target = this.buildTarget(name, settings, arn, common);
    this.uploader = target.uploader?.function;
    this.domain = target.domain;
    this.domainName = target.domainName;

    const logGroup = new aws.cloudwatch.LogGroup(
      `${name}-state-machine-logs`,
      { name: `/aws/vendedlogs/states/${stableName(`${name}-import`, 400)}`, retentionInDays: args.logRetentionInDays ?? 30 },
      { parent: this },
    );
    this.stateMachineLogGroup = logGroup;
    const stateMachineName = stableName(`${name}-import`, 80);
    const stateMachineArn = arn("states", `stateMachine:${stateMachineName}`);
    const role = new aws.iam.Role(
      `${name}-state-machine-role`,
      { assumeRolePolicy: serviceTrustPolicy("states.amazonaws.com", arn.accountId, stateMachineArn) },
      { parent: this },
    );
    const rolePolicy = new aws.iam.RolePolicy(
      `${name}-state-machine-policy`,
      {
        role: role.id,
        policy: policyDocument(
          stateMachineStatements({
            topicArn: this.topic.arn,
            topicKeyArn: notices.key.arn,
            functionArns: [this.validator.arn, ...(target.uploader ? [target.uploader.function.arn] : [])],
            target: target.statements,
            followUp: drop === undefined ? undefined : { workBucketArn: this.workBucket.arn, dropBucketName: drop.bucketName, prefix: drop.prefix, kmsKeyArn: drop.kmsKeyArn, partition: arn.partition },
          }),
        ),
      },
      { parent: this },
    );

    const definition = pulumi
      .all([this.topic.arn, this.validator.arn, target.definition, drop === undefined ? undefined : pulumi.output(drop.bucketName)])
      .apply(([topicArn, validatorArn, targetOptions, dropBucketName]) =>
        JSON.stringify(
          buildImportDefinition({
            ...targetOptions,
            topicArn,
            validatorFunctionArn: validatorArn,
            validatorTimeoutSeconds: settings.validatorTimeoutSeconds,
            pollIntervalSeconds: settings.pollIntervalSeconds,
            maxPolls: settings.maxPolls,
            ...(drop === undefined || dropBucketName === undefined ? {} : { followUpSmsFileDrop: { bucketName: dropBucketName, prefix: drop.prefix } }),
          }),
        ),
      );
    this.stateMachine = new aws.sfn.StateMachine(
      `${name}-state-machine`,
      {
        name: stateMachineName,
        type: "STANDARD",
        roleArn: role.arn,
        definition,
        // ERROR level without execution data: the history and logs name files, never contacts.
        loggingConfiguration: { logDestination: pulumi.interpolate`${logGroup.arn}:*`, level: "ERROR", includeExecutionData: false },
        tracingConfiguration: { enabled: true },
      },
      { parent: this, dependsOn: [rolePolicy] },
    );

    // The starter: EventBridge cannot name an execution, so a Lambda does, from bucket/key/ETag.
    const failures = createAsyncFailureQueue(`${name}-starter-failures`, args.alarmActions, this);
    this.failureQueue = failures.queue;
    const starter = new BundledFunction(
      `${name}-starter`,
      {
        ...common,
        handler: STARTER,
        description: "Starts one import execution per dropped object version",
        timeoutSeconds: 30,
        memorySizeMb: 256,
        asyncInvoke: { maximumRetryAttempts: 2, onFailure: failures },
        environment: environmentFor(STARTER, { STATE_MACHINE_ARN: stateMachineArn, KEY_PREFIX: prefix }),
        policyStatements: starterStatements({ dropBucketArn, prefix, stateMachineArn }),
      },
      { parent: this },
    );
    this.starter = starter.function;
    this.rule = new aws.cloudwatch.EventRule(
      `${name}-object-created`,
      { description: "Contact files dropped for import", eventPattern: pulumi.jsonStringify(objectCreatedPattern(this.bucketName, prefix, settings.suffixes)) },
      { parent: this },
    );
    const permission = new aws.lambda.Permission(
      `${name}-eventbridge-invoke-permission`,
      { action: "lambda:InvokeFunction", function: this.starter.name, principal: "events.amazonaws.com", sourceArn: this.rule.arn },
      { parent: this },
    );
    new aws.cloudwatch.EventTarget(`${name}-object-created-target`, { rule: this.rule.name, arn: this.starter.arn }, { parent: this, dependsOn: [permission] });

    const executionAlarm = (suffix: string, metricName: string, what: string) =>
      anyAboveZeroAlarm(
        `${name}-executions-${suffix}`,
        {
          namespace: "AWS/States",
          metricName,
          dimensions: { StateMachineArn: this.stateMachine.arn },
          statistic: "Sum",
          description: pulumi.interpolate`Contact imports ${what} in ${this.stateMachine.name}: see the failure notice and the execution`,
          alarmActions: args.alarmActions,
        },
        { parent: this },
      );
    this.alarms = [
      executionAlarm("failed", "ExecutionsFailed", "failed"),
      executionAlarm("timed-out", "ExecutionsTimedOut", "timed out"),
      ...starter.alarms,
      ...validator.alarms,
      ...(target.uploader?.alarms ?? []),
    ];

    const bucketNode = this.bucket ?? external("S3 bucket (existing, EventBridge notifications on)");
    dataFlow(external("Your uploaders"), bucketNode, "contact files");
    dataFlow(bucketNode, this.rule, "Object Created events");
    dataFlow(this.rule, this.starter, "events");
    dataFlow(this.starter, this.stateMachine, "executions");
    dataFlow(this.starter, this.failureQueue, "failed invocations");
    dataFlow(this.stateMachine, this.topic, "started, success and failure notices");
    dataFlow(this.stateMachine, this.validator, "files to validate");
    dataFlow(this.validator, bucketNode, "reads");
    dataFlow(this.validator, external("PhoneNumberValidate"), "numbers");
    dataFlow(this.validator, this.workBucket, "validated files, error reports");
    dataFlow(this.stateMachine, target.node, "import job");
    if (target.uploader) {
      dataFlow(this.stateMachine, target.uploader.function, "upload jobs");
      dataFlow(this.workBucket, target.uploader.function, "validated files");
      dataFlow(target.uploader.function, target.node, "upload");
    }
    if (drop !== undefined) dataFlow(this.stateMachine, external("#9 SMS file drop bucket"), "follow-up send file");

    this.dashboard = architectureDashboard(
      name,
      args,
      {
        failureQueues: [this.failureQueue],
        stateMachines: [this.stateMachine],
        functions: [
          dashboardFunction(starter, STARTER),
          dashboardFunction(validator, VALIDATOR),
          ...(target.uploader ? [dashboardFunction(target.uploader, UPLOADER)] : []),
        ],
      },
      this,
    );
    this.registerOutputs({
      bucketName: this.bucketName,
      workBucket: this.workBucket,
      topic: this.topic,
      stateMachine: this.stateMachine,
      starter: this.starter,
      validator: this.validator,
      uploader: this.uploader,
      failureQueue: this.failureQueue,
      domainName: this.domainName,
      alarms: this.alarms,
      dashboard: this.dashboard,
    });
  }

  /** Each target in its own function: its resources, its state-machine options and the state machine's permissions for it. */
  private buildTarget(name: string, settings: Settings, arn: ArnBuilder, common: ReturnType<typeof functionPlatform> & { alarmActions: PlatformArgs["alarmActions"] }): TargetBuild {
    if (settings.target === "customer-profiles") return this.customerProfilesTarget(name, settings, arn, common);
    if (settings.target === "ses-contact-list") return this.sesContactListTarget(name, settings, arn);
    return this.pinpointTarget(name, settings, arn);
  }

  private customerProfilesTarget(
    name: string,
    settings: Extract<Settings, { target: "customer-profiles" }>,
    arn: ArnBuilder,
    common: ReturnType<typeof functionPlatform> & { alarmActions: PlatformArgs["alarmActions"] },
  ): TargetBuild {
    const domain = existingOrCreate(
      settings.existingDomainName,
      () => {
        const key = createServiceKey(
          `${name}-profiles-key`,
          "Encrypts the Customer Profiles domain of the contact import",
          [{ service: "profile.amazonaws.com", condition: { StringEquals: { "aws:SourceAccount": arn.accountId } } }],
          { parent: this },
        );
        return new aws.customerprofiles.Domain(
          `${name}-domain`,
          { domainName: stableName(`${name}-contacts`, 64), defaultExpirationDays: settings.domainExpirationDays ?? DEFAULT_DOMAIN_EXPIRATION_DAYS, defaultEncryptionKey: key.arn },
          { parent: this },
        );
      },
      (created) => created.domainName,
    );
    const domainArn = arn("profile", pulumi.interpolate`domains/${domain.value}`);
    const uploader = new BundledFunction(
      `${name}-uploader`,
      {
        ...common,
        handler: UPLOADER,
        description: "Uploads a validated contact file to its Customer Profiles upload job",
        timeoutSeconds: 300,
        memorySizeMb: 256,
        environment: environmentFor(UPLOADER, { DOMAIN_NAME: domain.value, WORK_BUCKET: this.workBucket.bucket }),
        policyStatements: [
          { Sid: "GetUploadPath", Effect: "Allow", Action: "profile:GetUploadJobPath", Resource: [domainArn, pulumi.interpolate`${domainArn}/upload-jobs/*`] },
          { Sid: "ReadValidatedFiles", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${this.workBucket.arn}/${WORK_PREFIXES.validated}*` },
        ],
      },
      { parent: this },
    );
    return {
      uploader,
      domain: domain.created,
      domainName: domain.value,
      node: domain.created ?? external("Customer Profiles domain (existing)"),
      definition: pulumi.all([domain.value, uploader.function.arn]).apply(([domainName, uploaderArn]) => ({
        target: "customer-profiles" as const,
        customerProfiles: { domainName, dataExpiryDays: settings.dataExpiryDays, uploaderFunctionArn: uploaderArn, uploaderTimeoutSeconds: 300 },
      })),
      statements: [
        {
          Sid: "CustomerProfilesUploadJobs",
          Effect: "Allow",
          Action: ["profile:CreateUploadJob", "profile:StartUploadJob", "profile:GetUploadJob"],
          Resource: [domainArn, pulumi.interpolate`${domainArn}/upload-jobs/*`],
        },
      ],
    };
  }

  private sesContactListTarget(name: string, settings: Extract<Settings, { target: "ses-contact-list" }>, arn: ArnBuilder): TargetBuild {
    const list = settings.createContactList
      ? new aws.sesv2.ContactList(`${name}-contact-list`, { contactListName: settings.contactListName, description: "Contacts imported from dropped files" }, { parent: this })
      : undefined;
    return {
      uploader: undefined,
      domain: undefined,
      domainName: undefined,
      node: list ?? external("SES contact list (existing)"),
      definition: pulumi.output({ target: "ses-contact-list" as const, sesContactList: { contactListName: settings.contactListName } }),
      statements: [
        // CreateImportJob's resource is the contact list; GetImportJob has none (SES v2 service authorization reference).
        { Sid: "SesImportJobs", Effect: "Allow", Action: "ses:CreateImportJob", Resource: arn("ses", `contact-list/${settings.contactListName}`) },
        { Sid: "SesImportJobStatus", Effect: "Allow", Action: "ses:GetImportJob", Resource: "*" },
      ],
    };
  }

  private pinpointTarget(name: string, settings: Extract<Settings, { target: "pinpoint" }>, arn: ArnBuilder): TargetBuild {
    const appArn = arn("mobiletargeting", pulumi.interpolate`apps/${settings.pinpointApplicationId}`);
    // Pinpoint reads the validated file as this role: trust pinned to this account and project.
    const importRole = new aws.iam.Role(
      `${name}-pinpoint-import-role`,
      { assumeRolePolicy: serviceTrustPolicy("pinpoint.amazonaws.com", arn.accountId, appArn) },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-pinpoint-import-policy`,
      {
        role: importRole.id,
        policy: policyDocument([
          { Sid: "ReadValidatedFiles", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${this.workBucket.arn}/${WORK_PREFIXES.validated}*` },
          {
            Sid: "ListValidatedFiles",
            Effect: "Allow",
            Action: "s3:ListBucket",
            Resource: this.workBucket.arn,
            Condition: { StringLike: { "s3:prefix": `${WORK_PREFIXES.validated}*` } },
          },
        ]),
      },
      { parent: this },
    );
    const campaign = settings.autoCreateCampaign
      ? { delayMinutes: settings.campaignDelayMinutes, smsTemplateName: settings.campaignSmsTemplateName!, messageType: settings.campaignMessageType }
      : undefined;
    return {
      uploader: undefined,
      domain: undefined,
      domainName: undefined,
      node: external("Amazon Pinpoint project"),
      definition: pulumi.all([settings.pinpointApplicationId, importRole.arn]).apply(([applicationId, importRoleArn]) => ({
        target: "pinpoint" as const,
        pinpoint: { applicationId, importRoleArn, ...(campaign === undefined ? {} : { followUpCampaign: campaign }) },
      })),
      statements: [
        {
          Sid: "PinpointImportJobs",
          Effect: "Allow",
          Action: ["mobiletargeting:CreateImportJob", "mobiletargeting:GetImportJob"],
          Resource: [appArn, pulumi.interpolate`${appArn}/jobs/import/*`],
        },
        { Sid: "PassImportRole", Effect: "Allow", Action: "iam:PassRole", Resource: importRole.arn, Condition: { StringEquals: { "iam:PassedToService": "pinpoint.amazonaws.com" } } },
        ...(campaign === undefined
          ? []
          : [{ Sid: "PinpointCampaign", Effect: "Allow" as const, Action: "mobiletargeting:CreateCampaign", Resource: [appArn, pulumi.interpolate`${appArn}/campaigns`] }]),
      ],
    };
  }
}

interface TargetBuild {
  uploader: BundledFunction | undefined;
  domain: aws.customerprofiles.Domain | undefined;
  domainName: pulumi.Output<string> | undefined;
  node: pulumi.Resource | ReturnType<typeof external>;
  definition: pulumi.Output<Pick<ImportDefinitionOptions, "target" | "customerProfiles" | "sesContactList" | "pinpoint">>;
  statements: PolicyStatement[];
}

/** SES reads the validated file for its import job, for this account only. */
function sesReadStatement(workBucketArn: pulumi.Input<string>, arn: ArnBuilder): PolicyStatement {
  return {
    Sid: "AllowSESReadValidatedFiles",
    Effect: "Allow",
    Principal: { Service: "ses.amazonaws.com" },
    Action: "s3:GetObject",
    Resource: pulumi.interpolate`${workBucketArn}/${WORK_PREFIXES.validated}*`,
    Condition: { StringEquals: { "aws:SourceAccount": arn.accountId } },
  };
}

/** The validator's exact permissions: read dropped files, write the work files, validate numbers. */
export function validatorStatements(r: {
  dropBucketArn: pulumi.Input<string>;
  prefix: string;
  dropKeyArn?: pulumi.Input<string>;
  workBucketArn: pulumi.Input<string>;
  validatePhoneNumbers: boolean;
  phoneValidateArn: pulumi.Input<string>;
}): PolicyStatement[] {
  return [
    { Sid: "ReadDroppedFiles", Effect: "Allow", Action: ["s3:GetObject", "s3:GetObjectVersion"], Resource: pulumi.interpolate`${r.dropBucketArn}/${r.prefix}*` },
    {
      Sid: "WriteWorkFiles",
      Effect: "Allow",
      // AbortMultipartUpload: a rejected file's partial outputs are removed.
      Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
      Resource: [WORK_PREFIXES.validated, WORK_PREFIXES.reports, WORK_PREFIXES.followUp].map((p) => pulumi.interpolate`${r.workBucketArn}/${p}*`),
    },
    ...(r.validatePhoneNumbers ? [{ Sid: "ValidatePhoneNumbers", Effect: "Allow" as const, Action: "mobiletargeting:PhoneNumberValidate", Resource: r.phoneValidateArn }] : []),
    ...(r.dropKeyArn === undefined ? [] : [{ Sid: "DecryptDroppedFiles", Effect: "Allow" as const, Action: "kms:Decrypt", Resource: r.dropKeyArn }]),
  ];
}

/** The starter's exact permissions: check the key (HeadObject, 404 not 403) and start executions. */
export function starterStatements(r: { dropBucketArn: pulumi.Input<string>; prefix: string; stateMachineArn: pulumi.Input<string> }): PolicyStatement[] {
  return [
    { Sid: "HeadDroppedFiles", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${r.dropBucketArn}/${r.prefix}*` },
    // Without it a missing key answers 403 and could not be told from a denied one.
    { Sid: "ListDroppedFiles", Effect: "Allow", Action: "s3:ListBucket", Resource: r.dropBucketArn },
    { Sid: "StartImports", Effect: "Allow", Action: "states:StartExecution", Resource: r.stateMachineArn },
  ];
}

/** The state machine's exact permissions: its notices, its Lambdas, its target's API, the follow-up copy and log delivery. */
export function stateMachineStatements(r: {
  topicArn: pulumi.Input<string>;
  topicKeyArn: pulumi.Input<string>;
  functionArns: pulumi.Input<string>[];
  target: PolicyStatement[];
  followUp?: { workBucketArn: pulumi.Input<string>; dropBucketName: pulumi.Input<string>; prefix: string; kmsKeyArn?: pulumi.Input<string>; partition: pulumi.Input<string> };
}): PolicyStatement[] {
  const statements: PolicyStatement[] = [
    { Sid: "PublishNotices", Effect: "Allow", Action: "sns:Publish", Resource: r.topicArn },
    { Sid: "EncryptNotices", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: r.topicKeyArn },
    { Sid: "InvokeTasks", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: r.functionArns },
    ...r.target,
  ];
  if (r.followUp !== undefined) {
    const f = r.followUp;
    statements.push(
      { Sid: "ReadFollowUpFiles", Effect: "Allow", Action: "s3:GetObject", Resource: pulumi.interpolate`${f.workBucketArn}/${WORK_PREFIXES.followUp}*` },
      { Sid: "HandOffFollowUp", Effect: "Allow", Action: "s3:PutObject", Resource: pulumi.interpolate`arn:${f.partition}:s3:::${f.dropBucketName}/${f.prefix}*` },
    );
    if (f.kmsKeyArn !== undefined) statements.push({ Sid: "EncryptFollowUp", Effect: "Allow", Action: ["kms:GenerateDataKey", "kms:Decrypt"], Resource: f.kmsKeyArn });
  }
  // Log delivery to CloudWatch Logs: these actions support no resource-level permissions.
  statements.push(
    {
      Sid: "DeliverLogs",
      Effect: "Allow",
      Action: [
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
      ],
      Resource: "*",
    },
    { Sid: "WriteTraces", Effect: "Allow", Action: ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"], Resource: "*" },
  );
  return statements;
}
