export * from "./stack";
export * from "./config";
export * from "./architectures";
