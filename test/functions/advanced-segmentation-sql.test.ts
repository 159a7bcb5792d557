/**
 * The segment SQL examples (test/fixtures/advanced-segmentation/*.sql, also shown in the docs
 * page), wrapped exactly as the component wraps them (wrapSegmentQuery), parsed as Trino by
 * node-sql-parser and run on DuckDB over fixture rows. The wrapped result must be distinct,
 * non-null, and in the order the diff merges in (compareMemberIds, Trino's code-point order).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { expect } from "chai";
import { Parser } from "node-sql-parser";
import { compareMemberIds, MEMBER_COLUMN, wrapSegmentQuery } from "../../functions/advanced-segmentation/contract";

const FIXTURES = path.join(__dirname, "..", "fixtures", "advanced-segmentation");
const sql = (name: string) => fs.readFileSync(path.join(FIXTURES, `${name}.sql`), "utf8");
const ROWS = JSON.parse(fs.readFileSync(path.join(FIXTURES, "rows.json"), "utf8")) as Record<string, Record<string, unknown>[]>;

const TABLES: Record<string, Record<string, string>> = {
  purchases: { customer_id: "VARCHAR", amount: "DOUBLE", purchased_at: "DATE" },
  email_events: { customer_id: "VARCHAR", event_type: "VARCHAR", event_date: "DATE" },
  customers: { email: "VARCHAR", country: "VARCHAR", marketing_opt_in: "BOOLEAN" },
};

const literal = (value: unknown): string =>
  value === null ? "NULL" : typeof value === "string" ? `'${value.replace(/'/g, "''")}'` : String(value);

async function load(connection: DuckDBConnection): Promise<void> {
  for (const [table, columns] of Object.entries(TABLES)) {
    await connection.run(`CREATE TABLE ${table} (${Object.entries(columns).map(([c, t]) => `${c} ${t}`).join(", ")})`);
    const values = ROWS[table].map((row) => `(${Object.keys(columns).map((c) => literal(row[c])).join(", ")})`);
    await connection.run(`INSERT INTO ${table} VALUES ${values.join(", ")}`);
  }
}

describe("AdvancedSegmentation segment SQL (DuckDB)", () => {
  let instance: DuckDBInstance;
  let connection: DuckDBConnection;
  before(async () => {
    instance = await DuckDBInstance.create(":memory:");
    connection = await instance.connect();
    await load(connection);
  });
  after(() => {
    connection.closeSync();
    instance.closeSync();
  });

  const run = async (query: string): Promise<(string | null)[]> => {
    const reader = await connection.runAndReadAll(query);
    return reader.getRowObjectsJson().map((row) => row[MEMBER_COLUMN] as string | null);
  };

  const EXAMPLES: [string, string[]][] = [
    ["high-value-recent-buyers", ["a-011", "p-001", "p-004", "Ä-010"]],
    ["lapsed-openers", ["p-006"]],
    ["french-opt-ins", ["bob@example.fr", "jane@example.fr", "zoe@example.fr"]],
  ];

  for (const [name, expected] of EXAMPLES) {
    it(`${name}: parses as Trino, and its wrapped query returns the members distinct, non-null and in code-point order`, async () => {
      const parser = new Parser();
      expect(() => parser.astify(sql(name), { database: "trino" }), "the example").not.to.throw();
      expect(() => parser.astify(wrapSegmentQuery(sql(name)), { database: "trino" }), "the wrapped query").not.to.throw();
      const members = await run(wrapSegmentQuery(sql(name)));
      expect(members).to.deep.equal(expected);
      expect([...members].sort((a, b) => compareMemberIds(a!, b!))).to.deep.equal(members);
    });
  }

  it("drops what the raw query returns twice or as NULL (french-opt-ins has both)", async () => {
    const raw = await run(sql("french-opt-ins"));
    expect(raw).to.have.length(5);
    expect(raw.filter((m) => m === null)).to.have.length(1);
    expect(raw.filter((m) => m === "jane@example.fr")).to.have.length(2);
  });

  it("orders the wrapped result the way the diff does, for ids beyond ASCII (DuckDB and Trino sort varchar by code point)", async () => {
    const ids = ["b", "B", "é", "z", "😀", "\uffff", "a-1", "a_1", "a1", ""];
    await connection.run(`CREATE TABLE odd_ids AS SELECT * FROM (VALUES ${ids.map((id) => `(${literal(id)})`).join(", ")}) AS t(id)`);
    const members = await run(wrapSegmentQuery("SELECT id AS member_id FROM odd_ids"));
    expect(members).to.deep.equal([...ids].sort(compareMemberIds));
    // JavaScript's default order differs here (UTF-16 code units), which is why compareMemberIds exists.
    expect([...ids].sort()).not.to.deep.equal(members);
  });

  it("wraps the segment's SQL as a subquery, without its trailing semicolon", () => {
    expect(wrapSegmentQuery("SELECT id AS member_id FROM t;\n")).to.equal(
      ["SELECT DISTINCT CAST(member_id AS varchar) AS member_id", "FROM (", "SELECT id AS member_id FROM t", ") AS segment_query", "WHERE member_id IS NOT NULL", "ORDER BY member_id"].join("\n"),
    );
  });
});
