import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * An explicit, stable physical name for resources AWS will not autoname (SES configuration sets,
 * FIFO queues, which must end in ".fifo"). Project and stack keep it unique per account and region;
 * a short hash keeps long names within `maxLength`.
 */
export function stableName(logicalName: string, maxLength: number, suffix = ""): string {
  const base = `${pulumi.getProject()}-${pulumi.getStack()}-${logicalName}`.replace(/[^A-Za-z0-9_-]/g, "-");
  const room = maxLength - suffix.length;
  if (base.length <= room) return `${base}${suffix}`;
  const hash = createHash("sha256").update(base).digest("hex").slice(0, 8);
  return `${base.slice(0, room - 9)}-${hash}${suffix}`;
}

/** A short, stable suffix for a child created per list element (order changes must not rename it). */
export function hashSuffix(value: string): string {
  return createHash("sha256").update(value).digest("hex").slice(0, 8);
}
