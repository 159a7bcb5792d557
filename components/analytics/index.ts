export * from "./event-database";
export * as eventDatabaseViews from "./views";
