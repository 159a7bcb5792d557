import { pinpointEventProcessingArchitecture } from "./pinpoint-event-processing";
import { selfManagedOptOutsArchitecture } from "./self-managed-opt-outs";
import { sesAutoReplyArchitecture } from "./ses-auto-reply";
import { sesEventProcessingArchitecture } from "./ses-event-processing";
import { smsFileDropArchitecture } from "./sms-file-drop";
import { eventDatabaseArchitecture } from "./event-database";
import { sendTimeAttributesArchitecture } from "./send-time-attributes";
import { externalTemplatesArchitecture } from "./external-templates";
import { messageArchiverArchitecture } from "./message-archiver";
import { connectChannelArchitecture } from "./connect-channel";
import { s3TriggeredImportArchitecture } from "./s3-triggered-import";
import { eventBasedSegmentationArchitecture } from "./event-based-segmentation";
import { advancedSegmentationArchitecture } from "./advanced-segmentation";
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
  // #5 stores the events of #1's configuration set (and an SMS configuration set, when named).
  eventDatabaseArchitecture,
  // Contribute send steps to the senders above (built before them: the senders use their capabilities).
  sendTimeAttributesArchitecture,
  externalTemplatesArchitecture,
  // #6 offers its archive step to the senders (and archives #1's configuration set).
  messageArchiverArchitecture,
  // #13: the voice dialer; any sender can queue calls on it (VOICE_DIALER_QUEUE).
  connectChannelArchitecture,
  // #3 after #9: its default follow-up writes a send file into #9's drop (SMS_SEND_FILE_DROP).
  s3TriggeredImportArchitecture,
  // #7 after #1: its default routes SES events of #1's configuration set (SES_FEEDBACK_CONFIGURATION_SET).
  eventBasedSegmentationArchitecture,
  advancedSegmentationArchitecture,
] as unknown as ArchitectureModule[];

export * from "./types";
export * from "./composition";
