export * from "./self-managed-opt-outs";
export * from "./sms-file-drop";
