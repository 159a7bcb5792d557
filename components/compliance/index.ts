export * from "./archiving-options";
export * from "./message-archiver";
