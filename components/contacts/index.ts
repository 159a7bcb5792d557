export * from "./s3-triggered-import";
