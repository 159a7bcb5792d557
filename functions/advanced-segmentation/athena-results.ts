/**
 * Reads a finished query's result one GetQueryResults page at a time (at most 1000 rows, the API's
 * maximum). Athena returns a SELECT's column names as the first row of the first page; it is
 * checked (the wrapped query always returns `member_id`) and dropped. GetQueryResults reads the
 * result file from the workgroup's S3 location with the caller's credentials, which is why the
 * differ is granted s3:GetObject (and the key) on the results prefix.
 */
import { GetQueryResultsCommand, type AthenaClient } from "@aws-sdk/client-athena";
import { MEMBER_COLUMN, RESULT_PAGE_SIZE } from "./contract";
import type { ResultPage } from "./diff";

export class ResultShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SegmentResultShapeError";
  }
}

export function createResultReader(athena: AthenaClient, queryExecutionId: string): (token: string | undefined) => Promise<ResultPage> {
  return async (token) => {
    const out = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, NextToken: token, MaxResults: RESULT_PAGE_SIZE }));
    let rows = out.ResultSet?.Rows ?? [];
    if (token === undefined) {
      const column = out.ResultSet?.ResultSetMetadata?.ColumnInfo?.[0]?.Name;
      if (column !== MEMBER_COLUMN) throw new ResultShapeError(`the query's first column is "${column ?? "(none)"}", expected "${MEMBER_COLUMN}"`);
      rows = rows.slice(1);
    }
    const memberIds: string[] = [];
    for (const row of rows) {
      const value = row.Data?.[0]?.VarCharValue;
      // A NULL arrives without VarCharValue; the wrapped query already filters them out.
      if (value !== undefined && value !== "") memberIds.push(value);
    }
    return { memberIds, nextToken: out.NextToken ?? undefined };
  };
}
