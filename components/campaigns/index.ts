export * from "./send-time-attributes";
export * from "./external-templates";
