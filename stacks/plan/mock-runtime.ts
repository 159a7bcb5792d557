import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * Runs a Pulumi program under runtime mocks and records what it would create: every resource with
 * its resolved inputs, its parent, and the resources it depends on. Used by the offline plan and by
 * the component and stack tests, so both see exactly the same thing.
 */

export const MOCK_ACCOUNT_ID = "123456789012";
export const MOCK_REGION = "us-east-1";

export interface RecordedResource {
  type: string;
  name: string;
  /** `type::name`, unique per stack (the URN minus project and stack). */
  key: string;
  urn: string;
  /** Whether this is a custom (provider) resource rather than a component. */
  custom: boolean;
  /** Resolved inputs as the provider would receive them. Components have none. */
  inputs: Record<string, unknown>;
  /** `type::name` of the parent, or undefined for the stack's direct children. */
  parent: string | undefined;
  /** `type::name` of resources this one depends on (explicit dependsOn and Output inputs). */
  dependencies: string[];
}

export interface RecordedInvoke {
  token: string;
  args: Record<string, unknown>;
}

export interface MockRun<T> {
  result: T | undefined;
  resources: RecordedResource[];
  invokes: RecordedInvoke[];
  /** Resource URNs registered more than once: the mocks accept them, the engine would not. */
  duplicateUrns: string[];
}

export interface MockRunOptions {
  project?: string;
  stack?: string;
  /** Stack config as Pulumi stores it: "project:key" → string (objects as JSON). */
  config?: Record<string, string>;
}

/** A plausible physical name for an autonamed resource (deterministic, so plans are comparable). */
function physicalName(name: string, inputs: Record<string, unknown>): string {
  if (typeof inputs.name === "string") return inputs.name;
  if (typeof inputs.namePrefix === "string") return `${inputs.namePrefix}0000000`;
  return `${name}-0000000`;
}

/** Output properties a provider would compute, so ARNs, URLs and names resolve under mocks. */
export function mockState(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const [, module = "unknown"] = type.split(":");
  const service = module.split("/")[0];
  const physical = physicalName(name, inputs);
  const region = MOCK_REGION;
  const account = MOCK_ACCOUNT_ID;
  const state: Record<string, unknown> = { ...inputs, name: physical };
  switch (type) {
    case "aws:sqs/queue:Queue":
      state.arn = `arn:aws:sqs:${region}:${account}:${physical}`;
      state.url = `https://sqs.${region}.amazonaws.com/${account}/${physical}`;
      break;
    case "aws:s3/bucket:Bucket":
      state.bucket = inputs.bucket ?? physical;
      state.arn = `arn:aws:s3:::${state.bucket as string}`;
      break;
    case "aws:lambda/function:Function":
      state.arn = `arn:aws:lambda:${region}:${account}:function:${physical}`;
      state.invokeArn = `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${state.arn as string}/invocations`;
      break;
    case "aws:cloudwatch/logGroup:LogGroup":
      state.arn = `arn:aws:logs:${region}:${account}:log-group:${physical}`;
      break;
    case "aws:iam/role:Role":
      state.arn = `arn:aws:iam::${account}:role/${physical}`;
      break;
    case "aws:dynamodb/table:Table":
      state.arn = `arn:aws:dynamodb:${region}:${account}:table/${physical}`;
      state.streamArn = `${state.arn as string}/stream/2026-01-01T00:00:00.000`;
      break;
    case "aws:sesv2/configurationSet:ConfigurationSet":
      state.configurationSetName = inputs.configurationSetName ?? physical;
      state.arn = `arn:aws:ses:${region}:${account}:configuration-set/${state.configurationSetName as string}`;
      break;
    case "aws:sns/topic:Topic":
      state.arn = `arn:aws:sns:${region}:${account}:${physical}`;
      break;
    case "aws:pinpoint/app:App":
      // A project id is 32 hex characters; derived from the name so two projects differ.
      state.applicationId = createHash("md5").update(physical).digest("hex");
      state.arn = `arn:aws:mobiletargeting:${region}:${account}:apps/${state.applicationId as string}`;
      break;
    case "aws:kms/key:Key":
      state.arn = `arn:aws:kms:${region}:${account}:key/${name}`;
      state.keyId = name;
      break;
    default:
      state.arn = `arn:aws:${service}:${region}:${account}:${module.split("/")[1] ?? "resource"}/${physical}`;
  }
  return state;
}

function mockInvoke(token: string, args: Record<string, unknown>): Record<string, unknown> {
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/plan`, userId: "PLAN", id: MOCK_ACCOUNT_ID };
    case "aws:index/getRegion:getRegion":
      return { name: MOCK_REGION, region: MOCK_REGION, id: MOCK_REGION, endpoint: `ec2.${MOCK_REGION}.amazonaws.com` };
    case "aws:index/getPartition:getPartition":
      return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
    default:
      // An unmocked invoke otherwise fails with an empty message and a hang.
      throw new Error(`offline plan: no mock for invoke "${token}" (args ${JSON.stringify(args)})`);
  }
}

interface Registration {
  resource: pulumi.Resource;
  type: string;
  name: string;
  parent: pulumi.Resource | undefined;
  props: unknown;
  dependsOn: unknown;
}

async function collectDependencies(value: unknown, found: Set<pulumi.Resource>, seen = new Set<unknown>()): Promise<void> {
  if (value === null || typeof value !== "object" || seen.has(value)) return;
  seen.add(value);
  if (pulumi.Output.isInstance(value)) {
    const output = value as unknown as { allResources?: () => Promise<Set<pulumi.Resource>>; resources: () => Set<pulumi.Resource> };
    const resources = output.allResources ? await output.allResources() : output.resources();
    for (const r of resources) found.add(r);
    return;
  }
  if (pulumi.Resource.isInstance(value)) {
    found.add(value);
    return;
  }
  if (value instanceof Promise) {
    await collectDependencies(await value, found, seen);
    return;
  }
  for (const v of Array.isArray(value) ? value : Object.values(value)) await collectDependencies(v, found, seen);
}

/** Runs `program` as a whole Pulumi stack under mocks and returns what it registered. */
export async function runUnderMocks<T>(program: () => T | Promise<T>, options: MockRunOptions = {}): Promise<MockRun<T>> {
  const project = options.project ?? "digital-user-engagement";
  const stack = options.stack ?? "test";
  const byUrn = new Map<string, { type: string; name: string; inputs: Record<string, unknown>; custom: boolean }>();
  const duplicateUrns: string[] = [];
  const invokes: RecordedInvoke[] = [];
  const registrations: Registration[] = [];

  await pulumi.runtime.setMocks(
    {
      newResource(args: pulumi.runtime.MockResourceArgs) {
        const urn = `urn:pulumi:${stack}::${project}::${args.type}::${args.name}`;
        if (byUrn.has(urn)) duplicateUrns.push(urn);
        byUrn.set(urn, { type: args.type, name: args.name, inputs: args.inputs, custom: args.custom ?? true });
        const state = mockState(args.type, args.name, args.inputs);
        return { id: `${args.name}-id`, state };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        invokes.push({ token: args.token, args: args.inputs });
        return mockInvoke(args.token, args.inputs);
      },
    },
    project,
    stack,
    false,
  );
  pulumi.runtime.setAllConfig(options.config ?? {});

  let result: T | undefined;
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      registrations.push({
        resource: args.resource,
        type: args.type,
        name: args.name,
        parent: args.opts.parent,
        props: args.props,
        dependsOn: args.opts.dependsOn,
      });
      return undefined;
    });
    try {
      result = await program();
    } catch (error) {
      // How far the program got: a config error must stop it before any registration.
      if (typeof error === "object" && error !== null) Object.assign(error, { registeredBeforeFailure: registrations.length });
      throw error;
    }
    return {};
  });
  await pulumi.runtime.disconnect();

  const keyOf = new Map<pulumi.Resource, string>();
  for (const r of registrations) keyOf.set(r.resource, `${r.type}::${r.name}`);
  const resources: RecordedResource[] = [];
  for (const r of registrations) {
    const key = `${r.type}::${r.name}`;
    const deps = new Set<pulumi.Resource>();
    await collectDependencies(r.props, deps);
    await collectDependencies(r.dependsOn, deps);
    const dependencyKeys = [...deps]
      .map((d) => keyOf.get(d))
      .filter((k): k is string => k !== undefined && k !== key);
    const urn = `urn:pulumi:${stack}::${project}::${r.type}::${r.name}`;
    const registered = byUrn.get(urn);
    const parentKey = r.parent ? keyOf.get(r.parent) : undefined;
    resources.push({
      type: r.type,
      name: r.name,
      key,
      urn,
      custom: registered?.custom ?? false,
      inputs: registered?.inputs ?? {},
      parent: parentKey,
      dependencies: [...new Set(dependencyKeys)].sort(),
    });
  }
  return { result, resources, invokes, duplicateUrns };
}
