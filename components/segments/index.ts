export * from "./event-based-segmentation";
export * from "./advanced-segmentation";
