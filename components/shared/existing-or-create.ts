import * as pulumi from "@pulumi/pulumi";

/** The outcome of an existing-or-create choice: the created resource (if any) and the value to use. */
export interface ExistingOrCreated<R, V> {
  /** The created resource; undefined when an existing one was named. */
  created: R | undefined;
  /** The existing value, or the created resource's. */
  value: pulumi.Output<V>;
}

/**
 * "Use this existing X, or create one": creates only when `existing` is undefined. The component
 * exposes `created` as its optional output (`x: T | undefined`) and `value` as `xName`/`xArn`.
 */
export function existingOrCreate<R, V>(
  existing: pulumi.Input<V> | undefined,
  create: () => R,
  valueOf: (created: R) => pulumi.Input<V>,
): ExistingOrCreated<R, V> {
  if (existing !== undefined) return { created: undefined, value: pulumi.output(existing) as pulumi.Output<V> };
  const created = create();
  return { created, value: pulumi.output(valueOf(created)) as pulumi.Output<V> };
}
