export * from "./email";
export * from "./sms";
export * from "./analytics";
export * from "./campaigns";
export * from "./voice";
export * from "./compliance";
export * as shared from "./shared";
export * from "./contacts";
export * from "./segments";
