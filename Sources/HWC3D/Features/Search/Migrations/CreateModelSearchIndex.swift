import Fluent
import SQLKit

/// The full-text index of models, Search's own tables beside `models`. PostgreSQL: `model_search_docs`, one
/// `tsvector` per model under a GIN index. SQLite: the FTS5 table `models_fts` and `model_search_docs`, which gives
/// each model the integer key FTS5 rows need. Models that exist already are indexed on the way.
///
/// The one migration that creates two tables (on SQLite), on purpose: `models_fts` and `model_search_docs` are one
/// index, the FTS5 rowid being the `doc_id` the other assigns. Neither means anything alone and the rebuild below
/// needs both. On PostgreSQL it creates `model_search_docs` only. `MigrationRoundTripTests` lists this exception.
struct CreateModelSearchIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database.sql
        let isPostgres = sql.dialect.name == "postgresql"
        // A model's entry goes with the model (ON DELETE CASCADE); searches also keep to listed models themselves.
        let columns = isPostgres
            ? "model_id UUID PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE, search_vector tsvector NOT NULL"
            : "doc_id INTEGER PRIMARY KEY, model_id UUID NOT NULL UNIQUE REFERENCES models (id) ON DELETE CASCADE"
        try await sql.raw("CREATE TABLE model_search_docs (\(unsafeRaw: columns))").run()
        if isPostgres {
            try await sql.raw("CREATE INDEX model_search_docs_vector_idx ON model_search_docs USING GIN (search_vector)").run()
        } else {
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
        if sql.dialect.name != "postgresql" {
            try await sql.raw("DROP TABLE IF EXISTS models_fts").run()
        }
        try await sql.raw("DROP TABLE IF EXISTS model_search_docs").run()
    }
}
