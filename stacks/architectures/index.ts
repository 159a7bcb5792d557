import { pinpointEventProcessingArchitecture } from "./pinpoint-event-processing";
import { selfManagedOptOutsArchitecture } from "./self-managed-opt-outs";
import { sesAutoReplyArchitecture } from "./ses-auto-reply";
import { sesEventProcessingArchitecture } from "./ses-event-processing";
import { smsFileDropArchitecture } from "./sms-file-drop";
import { ArchitectureModule } from "./types";

/**
 * Every architecture the stack knows, in build order (an architecture that composes another comes
 * after it). Adding one: write `stacks/architectures/<name>.ts` with `defineArchitecture` and list it here.
 */
export const ARCHITECTURES: ArchitectureModule[] = [
  sesEventProcessingArchitecture,
  sesAutoReplyArchitecture,
  pinpointEventProcessingArchitecture,
  // Before smsFileDrop, whose sender honours #8's preference table when both are enabled.
  selfManagedOptOutsArchitecture,
  smsFileDropArchitecture,
] as unknown as ArchitectureModule[];

export * from "./types";
export * from "./composition";
