import Fluent
import SQLKit

/// PostgreSQL: the `search_vector` column and its GIN index. SQLite: the FTS5 table and the table that gives each
/// model the integer key FTS5 rows need. Models that exist already are indexed on the way.
///
/// The one migration that creates two tables (on SQLite), on purpose: `models_fts` and `model_search_docs` are one
/// index, the FTS5 rowid being the `doc_id` the other assigns. Neither means anything alone, the rebuild below needs
/// both, and on PostgreSQL the same index is a column of `models`. `MigrationRoundTripTests` lists this exception.
struct CreateModelSearchIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database.sql
        if sql.dialect.name == "postgresql" {
            try await sql.raw("ALTER TABLE models ADD COLUMN search_vector tsvector").run()
            try await sql.raw("CREATE INDEX models_search_idx ON models USING GIN (search_vector)").run()
        } else {
            try await sql.raw("""
                CREATE TABLE model_search_docs (
                    doc_id INTEGER PRIMARY KEY,
                    model_id UUID NOT NULL UNIQUE REFERENCES models (id) ON DELETE CASCADE)
                """).run()
            // Words arrive already split and lower-cased by `SearchWords`; diacritics are kept, as PostgreSQL's
            // `simple` configuration keeps them. Prefix indexes make the `word*` lookups of short words cheap.
            try await sql.raw("""
                CREATE VIRTUAL TABLE models_fts USING fts5(
                    title, tags, creator, description, tokenize = 'unicode61 remove_diacritics 0', prefix = '2 3')
                """).run()
        }
        try await ModelSearchIndex.rebuild(on: database)
    }

    func revert(on database: any Database) async throws {
        let sql = database.sql
        if sql.dialect.name == "postgresql" {
            try await sql.raw("DROP INDEX IF EXISTS models_search_idx").run()
            try await sql.raw("ALTER TABLE models DROP COLUMN IF EXISTS search_vector").run()
        } else {
            try await sql.raw("DROP TABLE IF EXISTS models_fts").run()
            try await sql.raw("DROP TABLE IF EXISTS model_search_docs").run()
        }
    }
}
