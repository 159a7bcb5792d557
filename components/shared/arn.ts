import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";

/**
 * Builds ARNs in the stack's own partition, Region and account: `arn("ses", "configuration-set/x")`.
 * The account id and Region are there too, for the conditions and commands that need them bare.
 */
export interface ArnBuilder {
  (service: string, resource: pulumi.Input<string>): pulumi.Output<string>;
  accountId: pulumi.Output<string>;
  region: pulumi.Output<string>;
  /** For ARNs without Region and account, such as a bucket's (`arn:<partition>:s3:::name`). */
  partition: pulumi.Output<string>;
}

/**
 * One ARN builder per component, from the account/region/partition invokes (parented to the
 * component through `opts`). For resources known only by name: existing tables, configuration
 * sets, SMS identities, alarms.
 */
export function arnBuilder(opts: pulumi.InvokeOptions): ArnBuilder {
  const { identity, region, partition } = accountContext(opts);
  const build = (service: string, resource: pulumi.Input<string>) =>
    pulumi.interpolate`arn:${partition.partition}:${service}:${region.region}:${identity.accountId}:${resource}`;
  return Object.assign(build, { accountId: identity.accountId, region: region.region, partition: partition.partition });
}
