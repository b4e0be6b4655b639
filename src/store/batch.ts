import { sql, type RawBuilder } from "kysely";

// `CASE id WHEN … THEN … END`: one value per row, so one UPDATE can set each
// row of a batch to its own values. Rows without a value (undefined) keep
// the column as it is.
export function byId<R extends { id: number }>(rows: readonly R[], column: string, value: (row: R) => unknown): RawBuilder<never> {
  const whens = rows.flatMap((r) => {
    const v = value(r);
    return v === undefined ? [] : [sql`when ${r.id} then ${v}`];
  });
  if (whens.length === 0) return sql<never>`${sql.ref(column)}`;
  return sql<never>`case ${sql.ref("id")} ${sql.join(whens, sql` `)} else ${sql.ref(column)} end`;
}
