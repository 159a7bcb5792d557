/**
 * DuckDB as a stand-in for Athena (Trino) in tests and the benchmark: a connection with Trino's
 * integer division and UTC session zone, and macros for the Trino functions the event database's
 * SQL uses that DuckDB lacks or spells differently. Each macro is checked against Trino's
 * documented examples in event-database-views.test.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { ALL_EVENTS_COLUMNS, PARTITION_KEY, TABLE_NAME, duckDbType, type ViewDefinition } from "../../components/analytics/views";

export interface TrinoMacro {
  name: string;
  /** Why DuckDB needs it. */
  reason: string;
  sql: string;
}

export const TRINO_MACROS: readonly TrinoMacro[] = [
  {
    name: "from_unixtime",
    reason: "DuckDB has no from_unixtime; to_timestamp(seconds) is the same instant, with time zone",
    sql: "CREATE OR REPLACE MACRO from_unixtime(unixtime) AS to_timestamp(unixtime)",
  },
  {
    name: "json_parse",
    reason: "DuckDB has no json_parse; json() parses and minifies as Trino does, and fails on invalid JSON",
    sql: "CREATE OR REPLACE MACRO json_parse(s) AS json(s)",
  },
  {
    name: "date_parse",
    reason: "DuckDB has no date_parse; strptime takes the same MySQL-style specifiers used here (%Y %m %d %H)",
    sql: "CREATE OR REPLACE MACRO date_parse(s, format) AS strptime(s, format)",
  },
  {
    name: "element_at",
    reason: "DuckDB's element_at(map, key) returns a list; Trino's returns the value, or NULL when the key is absent",
    sql: "CREATE OR REPLACE MACRO element_at(m, k) AS map_extract_value(m, k)",
  },
];

export async function trinoLikeDuckDb(): Promise<{ connection: DuckDBConnection; close: () => void }> {
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  // Trino divides integers as integers (event_timestamp / 1000 truncates) and Athena's session zone is UTC.
  await connection.run("SET integer_division = true");
  await connection.run("SET TimeZone = 'UTC'");
  for (const macro of TRINO_MACROS) await connection.run(macro.sql);
  return {
    connection,
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** The all_events columns as DuckDB declares them, plus the projected partition key. */
export function allEventsColumnsDuckDb(): Record<string, string> {
  return { ...Object.fromEntries(ALL_EVENTS_COLUMNS.map(([name, type]) => [name, duckDbType(type)])), [PARTITION_KEY]: "VARCHAR" };
}

/**
 * Loads rows (the transformation's JSON output) into an `all_events` table, each with its
 * partition value, the way Firehose's JSON deserializer reads them: top-level keys matched
 * case-insensitively (awsAccountId → awsaccountid), absent keys NULL.
 */
export async function loadAllEvents(connection: DuckDBConnection, rows: { row: object; datehour: string }[]): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "eventdb-"));
  try {
    const file = path.join(dir, "rows.ndjson");
    const lines = rows.map(({ row, datehour }) => JSON.stringify({ ...lowerKeys(row), [PARTITION_KEY]: datehour }));
    fs.writeFileSync(file, `${lines.join("\n")}\n`);
    const columns = Object.entries(allEventsColumnsDuckDb())
      .map(([name, type]) => `'${name}': '${type.replace(/'/g, "''")}'`)
      .join(", ");
    await connection.run(`CREATE OR REPLACE TABLE ${TABLE_NAME} AS SELECT * FROM read_json('${file}', format = 'newline_delimited', columns = {${columns}})`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function createViews(connection: DuckDBConnection, views: readonly ViewDefinition[]): Promise<void> {
  for (const view of views) await connection.run(`CREATE OR REPLACE VIEW ${view.name} AS ${view.sql}`);
}

/** Rows as plain JSON values (timestamps as ISO-like strings, maps as [{key, value}]). */
export async function query(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader.getRowObjectsJson() as Record<string, unknown>[];
}

function lowerKeys(row: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k.toLowerCase(), v]));
}
