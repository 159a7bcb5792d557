export * from "./connect-channel";
