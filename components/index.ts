export * from "./email";
export * from "./sms";
export * as shared from "./shared";
