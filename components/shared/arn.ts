import * as pulumi from "@pulumi/pulumi";
import { accountContext } from "./account";

/** Builds ARNs in the stack's own partition, Region and account: `arn("ses", "configuration-set/x")`. */
export type ArnBuilder = (service: string, resource: pulumi.Input<string>) => pulumi.Output<string>;

/**
 * One ARN builder per component, from the account/region/partition invokes (parented to the
 * component through `opts`). For resources known only by name: existing tables, configuration
 * sets, SMS identities, alarms.
 */
export function arnBuilder(opts: pulumi.InvokeOptions): ArnBuilder {
  const { identity, region, partition } = accountContext(opts);
  return (service, resource) => pulumi.interpolate`arn:${partition.partition}:${service}:${region.region}:${identity.accountId}:${resource}`;
}
