import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * Builds ARNs in the stack's own partition, Region and account: `arn("ses", "configuration-set/x")`.
 * The account id, Region and partition are there too, for the conditions and commands that need
 * them bare.
 */
export interface ArnBuilder {
  (service: string, resource: pulumi.Input<string>): pulumi.Output<string>;
  readonly accountId: pulumi.Output<string>;
  readonly region: pulumi.Output<string>;
  /** For ARNs without Region and account, such as a bucket's (`arn:<partition>:s3:::name`). */
  readonly partition: pulumi.Output<string>;
}

/**
 * One ARN builder per component, parented to it through `opts` (the invokes then use its
 * provider). Each of the three invokes runs only when first needed, once: a function block that
 * needs only the account id asks for nothing else.
 */
export function arnBuilder(opts: pulumi.InvokeOptions): ArnBuilder {
  const once = <T>(invoke: () => T): (() => T) => {
    let value: T | undefined;
    return () => (value ??= invoke());
  };
  const accountId = once(() => aws.getCallerIdentityOutput({}, opts).accountId);
  const region = once(() => aws.getRegionOutput({}, opts).region);
  const partition = once(() => aws.getPartitionOutput({}, opts).partition);
  const build = (service: string, resource: pulumi.Input<string>) =>
    pulumi.interpolate`arn:${partition()}:${service}:${region()}:${accountId()}:${resource}`;
  return Object.defineProperties(build, {
    accountId: { get: accountId, enumerable: true },
    region: { get: region, enumerable: true },
    partition: { get: partition, enumerable: true },
  }) as ArnBuilder;
}
