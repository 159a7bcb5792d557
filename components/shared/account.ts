import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * The account, region and partition a stack deploys into, for building ARNs of resources known
 * only by name. One place for the three invokes every component needs.
 */
export function accountContext(opts: pulumi.InvokeOptions = {}) {
  return {
    identity: aws.getCallerIdentityOutput({}, opts),
    region: aws.getRegionOutput({}, opts),
    partition: aws.getPartitionOutput({}, opts),
  };
}
