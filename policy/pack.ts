import type { PolicyResource as PackResource, StackValidationPolicy } from "@pulumi/policy";
import { POLICIES, PolicyResource } from "./policies";

/** `type::name`, the key the plain policies use to relate resources. */
function keyOf(resource: Pick<PackResource, "type" | "name">): string {
  return `${resource.type}::${resource.name}`;
}

/** A resource as the engine hands it to a stack policy, in the shape the plain policies read. */
export function toPolicyResource(resource: PackResource): PolicyResource {
  return {
    key: keyOf(resource),
    type: resource.type,
    name: resource.name,
    props: resource.props as Record<string, unknown>,
    dependencies: resource.dependencies.map(keyOf),
  };
}

/** The plain policies as mandatory stack-validation policies of a Pulumi policy pack. */
export const PACK_POLICIES: StackValidationPolicy[] = POLICIES.map((policy) => ({
  name: policy.name,
  description: policy.description,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const v of policy.validate(args.resources.map(toPolicyResource))) reportViolation(`${v.resource}: ${v.message}`);
  },
}));
