import { sql, type Kysely, type Migration, type MigrationProvider, type CreateTableBuilder } from "kysely";
import type { Dialect } from "./database.js";

// Migrations live in code (not files on disk) so the compiled server and the
// `easytask` bin carry them. Each takes the dialect: SQLite needs
// INTEGER PRIMARY KEY for its rowid alias, MySQL wants BIGINT and a utf8mb4
// binary collation so names compare the same way SQLite compares them.
function migrations(dialect: Dialect): Record<string, Migration> {
  const mysql = dialect === "mysql";
  const idType = mysql ? "bigint" : "integer";
  const longText = mysql ? sql`mediumtext` : sql`text`;
  const table = <T extends string>(db: Kysely<unknown>, name: T) => {
    const builder = db.schema
      .createTable(name)
      .ifNotExists()
      .addColumn("id", idType, (c) => c.primaryKey().autoIncrement());
    return (mysql ? builder.modifyEnd(sql`default charset=utf8mb4 collate=utf8mb4_bin`) : builder) as CreateTableBuilder<T, "id">;
  };
  return {
    "0001_init": {
      async up(db) {
        await table(db, "task_server")
          .addColumn("name", "varchar(255)", (c) => c.notNull().unique())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await table(db, "task_server_route")
          .addColumn("task_server_id", "bigint", (c) => c.notNull())
          .addColumn("schema", "varchar(8)", (c) => c.notNull())
          .addColumn("host", "varchar(255)", (c) => c.notNull())
          .addColumn("port", "integer", (c) => c.notNull())
          .addColumn("callback_timeout_sec", "integer", (c) => c.notNull())
          .addColumn("is_enable_health_check", "integer", (c) => c.notNull())
          .addColumn("failed_health_checks", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("last_heartbeat_at", "bigint")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addUniqueConstraint("uq_route", ["task_server_id", "schema", "host", "port"])
          .execute();
        await table(db, "task")
          .addColumn("name", "varchar(255)", (c) => c.notNull())
          .addColumn("biz_id", "varchar(255)", (c) => c.notNull())
          .addColumn("task_server_id", "bigint", (c) => c.notNull())
          .addColumn("callback_path", "varchar(1024)", (c) => c.notNull())
          .addColumn("sched_mode", "integer", (c) => c.notNull())
          .addColumn("time_cron", "varchar(255)", (c) => c.notNull())
          .addColumn("time_interval_sec", "integer", (c) => c.notNull())
          .addColumn("time_spec_at", "bigint", (c) => c.notNull())
          .addColumn("arg", longText, (c) => c.notNull())
          .addColumn("state", "integer", (c) => c.notNull())
          .addColumn("run_times", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("next_fire_at", "bigint")
          .addColumn("version", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .addUniqueConstraint("uq_task_name_biz", ["name", "biz_id"])
          .execute();
        await db.schema.createIndex("ix_task_due").ifNotExists().on("task").columns(["state", "next_fire_at"]).execute();
        await db.schema.createIndex("ix_task_server").ifNotExists().on("task").column("task_server_id").execute();
        await table(db, "task_log")
          .addColumn("task_id", "bigint", (c) => c.notNull())
          .addColumn("run_times", "integer", (c) => c.notNull())
          .addColumn("attempt", "integer", (c) => c.notNull())
          .addColumn("state", "integer", (c) => c.notNull())
          .addColumn("route", "varchar(300)", (c) => c.notNull())
          .addColumn("http_status", "integer", (c) => c.notNull())
          .addColumn("response", longText, (c) => c.notNull())
          .addColumn("error", sql`text`, (c) => c.notNull())
          .addColumn("is_success", "integer", (c) => c.notNull())
          .addColumn("extra", longText, (c) => c.notNull())
          .addColumn("due_at", "bigint", (c) => c.notNull())
          .addColumn("started_at", "bigint", (c) => c.notNull())
          .addColumn("finished_at", "bigint")
          .addColumn("confirmed_at", "bigint")
          .addUniqueConstraint("uq_task_log_run", ["task_id", "run_times", "attempt"])
          .execute();
      },
    },
    "0002_scheduling_policies": {
      async up(db) {
        const integer = (name: string) => ["integer", name] as const;
        const taskColumns = [
          ["varchar(64)", "time_zone", ""],
          ...["misfire_policy", "misfire_max_catch_up", "overlap_policy", "max_retries", "retry_initial_sec", "retry_max_sec", "max_run_time_sec", "max_run_times", "route_strategy", "queued"].map(
            (name) => [...integer(name), 0] as const,
          ),
          ["double precision", "retry_multiplier", 0],
          ["bigint", "start_at", 0],
          ["bigint", "end_at", 0],
        ] as const;
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for (const [type, name, init] of taskColumns) {
          await db.schema.alterTable("task").addColumn(name, sql.raw(type), (c) => c.notNull().defaultTo(init)).execute();
        }
        await db.schema.alterTable("task_log").addColumn("deadline_at", "bigint").execute();
        await db.schema.alterTable("task_log").addColumn("pending_confirms", "integer", (c) => c.notNull().defaultTo(0)).execute();
        // Other nodes' changes reach the leader through this (see loadChangedTasks).
        await db.schema.createIndex("ix_task_updated").ifNotExists().on("task").column("updated_at").execute();
        await db.schema.createIndex("ix_task_log_due").ifNotExists().on("task_log").columns(["state", "due_at"]).execute();
        await db.schema.createIndex("ix_task_log_deadline").ifNotExists().on("task_log").columns(["state", "deadline_at"]).execute();
      },
    },
    "0003_log_retention": {
      async up(db) {
        // The retention job walks the oldest runs through it, a batch at a time.
        await db.schema.createIndex("ix_task_log_started").ifNotExists().on("task_log").column("started_at").execute();
      },
    },
    "0004_console": {
      async up(db) {
        await table(db, "route_eviction")
          .addColumn("task_server_id", "bigint", (c) => c.notNull())
          .addColumn("route_id", "bigint", (c) => c.notNull())
          .addColumn("schema", "varchar(8)", (c) => c.notNull())
          .addColumn("host", "varchar(255)", (c) => c.notNull())
          .addColumn("port", "integer", (c) => c.notNull())
          .addColumn("callback_timeout_sec", "integer", (c) => c.notNull())
          .addColumn("failed_health_checks", "integer", (c) => c.notNull())
          .addColumn("last_heartbeat_at", "bigint")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("evicted_at", "bigint", (c) => c.notNull())
          .addUniqueConstraint("uq_route_eviction", ["task_server_id", "schema", "host", "port"])
          .execute();
      },
    },
    "0005_callback_secret": {
      async up(db) {
        await db.schema.alterTable("task_server").addColumn("secret", "varchar(256)").execute();
      },
    },
    "0006_paused_reason": {
      async up(db) {
        await db.schema.alterTable("task").addColumn("paused_reason", "varchar(1024)", (c) => c.notNull().defaultTo("")).execute();
      },
    },
    "0010_shards": {
      async up(db) {
        // Which node fired a run, now that every node fires its shards' runs.
        await db.schema.alterTable("task_log").addColumn("node_id", "varchar(128)", (c) => c.notNull().defaultTo("")).execute();
        await db.schema
          .createTable("cluster_setting")
          .ifNotExists()
          .addColumn("name", "varchar(64)", (c) => c.primaryKey())
          .addColumn("value", "varchar(255)", (c) => c.notNull())
          .execute();
      },
    },
    "0007_operations": {
      async up(db) {
        // Nullable or defaulted: an instant change on MariaDB however large task_log is.
        await db.schema.alterTable("task_log").addColumn("arg", longText).execute();
        await db.schema.alterTable("task_log").addColumn("manual", "integer", (c) => c.notNull().defaultTo(0)).execute();
        await table(db, "audit_log")
          .addColumn("at", "bigint", (c) => c.notNull())
          .addColumn("actor", "varchar(64)", (c) => c.notNull())
          .addColumn("method", "varchar(128)", (c) => c.notNull())
          .addColumn("protocol", "varchar(32)", (c) => c.notNull())
          .addColumn("targets", sql`text`, (c) => c.notNull())
          .addColumn("request", sql`text`, (c) => c.notNull())
          .addColumn("result", sql`text`, (c) => c.notNull())
          .addColumn("trace_id", "varchar(128)", (c) => c.notNull())
          .execute();
        // Retention deletes the oldest entries through it.
        await db.schema.createIndex("ix_audit_log_at").ifNotExists().on("audit_log").column("at").execute();
        await table(db, "alert")
          .addColumn("at", "bigint", (c) => c.notNull())
          .addColumn("kind", "integer", (c) => c.notNull())
          .addColumn("task_id", "bigint", (c) => c.notNull())
          .addColumn("task_server", "varchar(255)", (c) => c.notNull())
          .addColumn("route", "varchar(300)", (c) => c.notNull())
          .addColumn("text", sql`text`, (c) => c.notNull())
          .addColumn("open_key", "varchar(64)", (c) => c.unique())
          .addColumn("delivery", "integer", (c) => c.notNull())
          .addColumn("delivery_error", sql`text`, (c) => c.notNull())
          .execute();
        await db.schema.createIndex("ix_alert_at").ifNotExists().on("alert").column("at").execute();
      },
    },
  };
}

export function migrationProvider(dialect: Dialect): MigrationProvider {
  return { getMigrations: async () => migrations(dialect) };
}
