export * from "./ses-event-processing";
