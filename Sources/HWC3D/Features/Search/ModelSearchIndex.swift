import Fluent
import Foundation
import SQLKit
import Vapor

/// The words search sees. Documents and queries both pass through here, so the two databases index and look up
/// exactly the same words: PostgreSQL's parser would otherwise keep `example.com` or `foo-bar` whole where SQLite's
/// FTS5 splits them, and the same query would find different models on each. A word is a run of letters and digits
/// (after NFC, lower-cased); everything else separates words and is never passed to either engine.
enum SearchWords {
    /// Longer words are cut to this, in documents and queries alike (PostgreSQL refuses lexemes over 2,047 bytes).
    static let maxWordLength = 64
    /// A query's words beyond this are ignored: each costs an index lookup and none helps past a handful.
    static let maxQueryWords = 8

    static func words(in text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(String(current).lowercased().prefix(maxWordLength))) }
            current = String.UnicodeScalarView()
        }
        for scalar in text.precomposedStringWithCanonicalMapping.unicodeScalars {
            if isWordScalar(scalar) { current.append(scalar) } else { flush() }
        }
        flush()
        return words
    }

    /// The distinct words of a query, in the order typed; empty when nothing searchable is left.
    static func queryWords(_ query: String) -> [String] {
        var seen = Set<String>()
        return Array(words(in: query).filter { seen.insert($0).inserted }.prefix(maxQueryWords))
    }

    static func document(_ text: String) -> String { words(in: text).joined(separator: " ") }

    private static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            true
        default:
            false
        }
    }
}

/// Keeps the full-text index in step with models. Maintained by the application, not by triggers: a model's
/// document spans three tables (title and description in `models`, tags in `model_tags`, the creator's names in
/// `users`), and one Swift code path serves both databases. Call `refresh(modelID:on:)` inside the transaction
/// that changes a model's title, description or tags, and `refresh(ownerID:on:)` when a user's username or
/// display name changes.
///
/// - PostgreSQL: `model_search_docs.search_vector`, one row per model, weighted title A, tags B, creator C,
///   description D, under a GIN index.
/// - SQLite: the FTS5 table `models_fts(title, tags, creator, description)`, whose rowid is the `doc_id` that
///   `model_search_docs` assigns each model, so a refresh replaces one row by key instead of scanning the table.
enum ModelSearchIndex {
    /// Rows read and written per statement in bulk refreshes.
    static let batchSize = 500

    static func refresh(modelID: UUID, on database: any Database) async throws {
        let sql = database.sql
        try await write(try await documents(where: "m.id = \(bind: modelID)", on: sql), on: sql)
    }

    /// Every model of one creator, whose names are part of each model's document.
    static func refresh(ownerID: UUID, on database: any Database) async throws {
        let sql = database.sql
        let documents = try await documents(where: "m.owner_id = \(bind: ownerID)", on: sql)
        for start in stride(from: 0, to: documents.count, by: batchSize) {
            try await write(Array(documents[start..<min(start + batchSize, documents.count)]), on: sql)
        }
    }

    /// Re-indexes every model, in batches, and drops entries of models that no longer exist. For bulk imports,
    /// restores and `hwc3d reindex-search`; returns how many models were indexed.
    @discardableResult
    static func rebuild(on database: any Database) async throws -> Int {
        let sql = database.sql
        var after: UUID?
        var total = 0
        while true {
            let condition: SQLQueryString = after.map { "m.id > \(bind: $0)" } ?? "1 = 1"
            let batch = try await documents(where: condition + " ORDER BY m.id LIMIT \(literal: batchSize)", on: sql)
            guard let last = batch.last else { break }
            try await write(batch, on: sql)
            total += batch.count
            after = last.modelID
        }
        if sql.dialect.name == "sqlite" {
            try await sql.raw("DELETE FROM models_fts WHERE rowid NOT IN (SELECT doc_id FROM model_search_docs)").run()
        }
        return total
    }

    /// After a bulk rebuild, does now what would otherwise wait for autovacuum. On PostgreSQL a GIN index keeps
    /// new entries in a pending list that every search scans in full, and the planner's statistics still describe
    /// the empty table (it then expects one match where there are thousands): measured on 100,000 models, the
    /// index scan took 4.2 ms before and 1.3 ms after. `VACUUM` cannot run inside a transaction, so this is for
    /// commands, not migrations. On SQLite the FTS5 segments are merged and the statistics refreshed.
    static func settle(on database: any Database) async throws {
        let sql = database.sql
        if sql.dialect.name == "postgresql" {
            try await sql.raw("VACUUM (ANALYZE) model_search_docs").run()
        } else {
            try await sql.raw("INSERT INTO models_fts (models_fts) VALUES ('optimize')").run()
            try await sql.raw("ANALYZE").run()
        }
    }

    struct Document: Sendable {
        let modelID: UUID
        let title, tags, creator, description: String
    }

    private static func documents(where condition: SQLQueryString, on sql: any SQLDatabase) async throws -> [Document] {
        let rows = try await sql.raw("""
            SELECT m.id, m.title, m.description, \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_")),
                   \(CatalogueSQL.tagNames(ofModel: "m.id", on: sql)) AS tag_list
            \(ListingSQL.from(alias: "m")) \(UserReads.join(alias: "u", on: "m.owner_id"))
            WHERE \(condition)
            """).all()
        return try rows.map { row in
            let creator = try UserSummaryColumns.Row(from: row, prefix: "u_")
            return Document(
                modelID: try row.decode(column: "id", as: UUID.self),
                title: SearchWords.document(try row.decode(column: "title", as: String.self)),
                tags: SearchWords.document(try row.decode(column: "tag_list", as: String?.self) ?? ""),
                creator: SearchWords.document(creator.username + " " + creator.displayName),
                description: SearchWords.document(try row.decode(column: "description", as: String.self)))
        }
    }

    private static func write(_ documents: [Document], on sql: any SQLDatabase) async throws {
        guard !documents.isEmpty else { return }
        if sql.dialect.name == "postgresql" {
            let values = documents.map { document -> SQLQueryString in
                "(\(bind: document.modelID), \(bind: document.title), \(bind: document.tags), \(bind: document.creator), \(bind: document.description))"
            }
            try await sql.raw("""
                INSERT INTO model_search_docs (model_id, search_vector)
                SELECT v.id,
                    setweight(to_tsvector('simple', v.title), 'A') || setweight(to_tsvector('simple', v.tags), 'B') ||
                    setweight(to_tsvector('simple', v.creator), 'C') || setweight(to_tsvector('simple', v.description), 'D')
                FROM (VALUES \(values.joined(separator: ", "))) AS v(id, title, tags, creator, description)
                ON CONFLICT (model_id) DO UPDATE SET search_vector = excluded.search_vector
                """).run()
        } else {
            let ids = documents.map(\.modelID)
            let newDocs = ids.map { "(\(bind: $0))" as SQLQueryString }
            try await sql.raw("INSERT INTO model_search_docs (model_id) VALUES \(newDocs.joined(separator: ", ")) ON CONFLICT (model_id) DO NOTHING").run()
            var docIDs: [UUID: Int] = [:]
            for row in try await sql.raw("SELECT doc_id, model_id FROM model_search_docs WHERE model_id IN (\(binds: ids))").all() {
                docIDs[try row.decode(column: "model_id", as: UUID.self)] = try row.decode(column: "doc_id", as: Int.self)
            }
            guard !docIDs.isEmpty else { return }
            try await sql.raw("DELETE FROM models_fts WHERE rowid IN (\(binds: Array(docIDs.values)))").run()
            let rows = documents.compactMap { document -> SQLQueryString? in
                guard let docID = docIDs[document.modelID] else { return nil }
                return "(\(bind: docID), \(bind: document.title), \(bind: document.tags), \(bind: document.creator), \(bind: document.description))"
            }
            guard !rows.isEmpty else { return }
            try await sql.raw("INSERT INTO models_fts (rowid, title, tags, creator, description) VALUES \(rows.joined(separator: ", "))").run()
        }
    }
}

/// `hwc3d reindex-search`: rebuilds the full-text index, after a bulk import or a restore.
struct ReindexSearchCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Rebuilds the full-text search index of every model." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let started = Date()
        let count = try await ModelSearchIndex.rebuild(on: context.application.db)
        try await ModelSearchIndex.settle(on: context.application.db)
        context.console.print("Indexed \(count) models in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
    }
}
