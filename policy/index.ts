import { PolicyPack, PolicyResource as PackResource } from "@pulumi/policy";
import { POLICIES, PolicyResource } from "./policies";

/** `type::name`, the key the plain policies use to relate resources. */
function keyOf(resource: PackResource): string {
  return `${resource.type}::${resource.name}`;
}

function toPolicyResource(resource: PackResource): PolicyResource {
  return {
    key: keyOf(resource),
    type: resource.type,
    name: resource.name,
    props: resource.props as Record<string, unknown>,
    dependencies: resource.dependencies.map(keyOf),
  };
}

// `pulumi preview --policy-pack policy` runs the same plain functions the offline plan runs.
new PolicyPack("digital-user-engagement", {
  policies: POLICIES.map((policy) => ({
    name: policy.name,
    description: policy.description,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      for (const v of policy.validate(args.resources.map(toPolicyResource))) reportViolation(`${v.resource}: ${v.message}`);
    },
  })),
});
