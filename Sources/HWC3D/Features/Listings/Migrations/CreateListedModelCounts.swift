import Fluent
import SQLKit

/// How many listed models (published, public, not deleted) there are of each combination of category, license
/// and formats, kept by the database itself: triggers on `models` move the counts in the same statement as any
/// change of a model's status, visibility, deletion, category, license or formats, whichever code path (or bulk
/// load, or foreign-key cascade) makes it. The category tree and the facets of a browse without other filters sum
/// these few thousand rows instead of counting 100,000 models per request (issue 11: the tree answered 19
/// requests/s and a browse page took 0.3–0.4 s with the cache off).
///
/// Triggers rather than application code: every write path would have to remember them, and one that forgot would
/// drift the counts silently. They fire only when one of those six columns is written, so the counter updates of
/// every view, like and sale cost nothing extra. `combination` (category, license and formats in one string) is
/// the key because a category may be NULL and unique indexes treat NULLs as distinct.
struct CreateListedModelCounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.sql.raw("""
            CREATE TABLE listed_model_counts (
                combination TEXT PRIMARY KEY, category_id UUID, license TEXT NOT NULL, formats TEXT NOT NULL,
                listed_count INTEGER NOT NULL)
            """).run()
        try await Self.install(.published, on: database)
    }

    func revert(on database: any Database) async throws {
        try await Self.dropTriggers(on: database)
        try await database.sql.raw("DROP TABLE IF EXISTS listed_model_counts").run()
    }

    /// What "listed" meant for the triggers at one point in the migrations' history, and the columns that move it.
    struct Definition: Sendable {
        let trackedColumns: String
        let listed: @Sendable (_ row: String) -> String

        /// Published, public, not deleted (this migration).
        static let published = Definition(trackedColumns: "status, visibility, deleted_at, category_id, license, formats") { row in
            "\(row).status = 'published' AND \(row).visibility = 'public' AND \(row).deleted_at IS NULL"
        }
    }

    /// Creates the triggers for `definition` and counts the models that exist already into the (empty) table.
    static func install(_ definition: Definition, on database: any Database) async throws {
        let sql = database.sql
        let isPostgres = sql.dialect.name == "postgresql"
        let new = Row("NEW", definition, isPostgres: isPostgres), old = Row("OLD", definition, isPostgres: isPostgres)
        let increment = """
            INSERT INTO listed_model_counts (combination, category_id, license, formats, listed_count)
            SELECT \(new.combination), NEW.category_id, NEW.license, NEW.formats, 1 WHERE \(new.listed)
            ON CONFLICT (combination) DO UPDATE SET listed_count = listed_model_counts.listed_count + 1;
            """
        let decrement = """
            UPDATE listed_model_counts SET listed_count = listed_count - 1 WHERE combination = \(old.combination) AND \(old.listed);
            """
        if isPostgres {
            try await sql.raw("""
                CREATE FUNCTION listed_model_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'UPDATE' AND (\(unsafeRaw: old.listed)) = (\(unsafeRaw: new.listed))
                        AND \(unsafeRaw: old.combination) = \(unsafeRaw: new.combination) THEN
                        RETURN NULL;
                    END IF;
                    IF TG_OP IN ('UPDATE', 'DELETE') THEN \(unsafeRaw: decrement) END IF;
                    IF TG_OP IN ('UPDATE', 'INSERT') THEN \(unsafeRaw: increment) END IF;
                    RETURN NULL;
                END $$
                """).run()
            try await sql.raw("""
                CREATE TRIGGER models_listed_model_counts
                AFTER INSERT OR DELETE OR UPDATE OF \(unsafeRaw: definition.trackedColumns) ON models
                FOR EACH ROW EXECUTE FUNCTION listed_model_counts_track()
                """).run()
        } else {
            try await sql.raw("CREATE TRIGGER models_listed_counts_insert AFTER INSERT ON models BEGIN \(unsafeRaw: increment) END").run()
            try await sql.raw("CREATE TRIGGER models_listed_counts_delete AFTER DELETE ON models BEGIN \(unsafeRaw: decrement) END").run()
            try await sql.raw("""
                CREATE TRIGGER models_listed_counts_update AFTER UPDATE OF \(unsafeRaw: definition.trackedColumns) ON models
                WHEN (\(unsafeRaw: old.listed)) IS NOT (\(unsafeRaw: new.listed)) OR \(unsafeRaw: old.combination) IS NOT \(unsafeRaw: new.combination)
                BEGIN \(unsafeRaw: decrement) \(unsafeRaw: increment) END
                """).run()
        }
        // The models that exist already.
        let m = Row("m", definition, isPostgres: isPostgres)
        try await sql.raw("""
            INSERT INTO listed_model_counts (combination, category_id, license, formats, listed_count)
            SELECT \(unsafeRaw: m.combination), category_id, license, formats, COUNT(*) FROM models m WHERE \(unsafeRaw: m.listed)
            GROUP BY category_id, license, formats
            """).run()
    }

    /// Drops the triggers (and the PostgreSQL function) and empties the table, ready for `install`.
    static func dropTriggers(on database: any Database) async throws {
        let sql = database.sql
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP TRIGGER IF EXISTS models_listed_model_counts ON models").run()
            try await sql.raw("DROP FUNCTION IF EXISTS listed_model_counts_track()").run()
        } else {
            for trigger in ["models_listed_counts_insert", "models_listed_counts_delete", "models_listed_counts_update"] {
                try await sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: trigger)").run()
            }
        }
        try await sql.raw("DELETE FROM listed_model_counts").run()
    }

    /// The two expressions a trigger needs about one row (`NEW`, `OLD`, or a table alias).
    private struct Row {
        /// `ListingSQL.isListed` for this row, as `definition` had it.
        let listed: String
        /// The row's key in `listed_model_counts`.
        let combination: String

        init(_ row: String, _ definition: Definition, isPostgres: Bool) {
            listed = definition.listed(row)
            let category = isPostgres ? "\(row).category_id::text" : "\(row).category_id"
            combination = "COALESCE(\(category), '') || '|' || \(row).license || '|' || \(row).formats"
        }
    }
}
