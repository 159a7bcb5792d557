export * from "./pinpoint-event-processing";
export * from "./ses-auto-reply";
export * from "./ses-event-processing";
