export * from "./email";
export * as shared from "./shared";
