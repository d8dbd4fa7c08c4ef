import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Migrations apply, revert and apply again to the same schema, on the database the run uses (SQLite or
/// PostgreSQL); a database migrated before a table was split off its migration upgrades cleanly; and the
/// migrations keep their shape: one per file in a `Migrations/` folder, one table per creating migration, every
/// one registered once in `Migrations.all`.
@Suite("Migrations: round trip, upgrade of older databases, one table per migration")
struct MigrationRoundTripTests {
    /// Tables split off a migration that used to create two; older databases ran the combined one.
    static let splitOff: [any Migration] = [
        CreateRefreshTokens(), CreateLoginFailures(), CreateOAuthStates(), CreateAdminActions(), CreateModelTags(),
        CreateTransactionItems(), CreatePayoutMethods(),
    ]

    /// Migration files allowed to create more than one table, with how many and why.
    static let multiTableExceptions: [String: Int] = [
        // `model_search_docs` and the FTS5 table `models_fts` (SQLite only) are one index: the FTS rowid is the
        // doc_id the other assigns, and neither is any use alone. On PostgreSQL it creates `model_search_docs` only.
        "CreateModelSearchIndex": 2
    ]

    @Test("Applying all, reverting all and applying all again gives the same schema; reverting leaves nothing")
    func roundTrip() async throws {
        try await withServer { server in
            let sql = try #require(server.app.db as? any SQLDatabase)
            let migrated = try await Self.schema(of: sql)
            // The snapshot sees tables, columns, indexes and seeded rows, so the comparisons below mean something.
            #expect(migrated.contains { $0.hasPrefix("table users") }, "the server did not migrate: \(migrated)")
            #expect(migrated.contains { $0.hasPrefix("column model_images.generated ") })
            #expect(migrated.contains { $0.hasPrefix("index models_updated_idx") })
            #expect(migrated.contains { $0.hasPrefix("rows categories: ") && !$0.hasSuffix(": 0") })

            try await server.app.migrator.revertAllBatches().get()
            let reverted = try await Self.schema(of: sql)
            #expect(reverted.isEmpty, "left behind by the reverts:\n\(reverted.joined(separator: "\n"))")
            #expect(try await Self.recordedMigrations(sql).isEmpty)

            try await server.app.autoMigrate()
            Self.expectSame(try await Self.schema(of: sql), migrated, "after revert and migrate")
            #expect(try await Self.recordedMigrations(sql) == Set(Migrations.all.map(\.name)))
        }
    }

    @Test("A database migrated before the splits (combined migrations) upgrades, and reverts completely")
    func upgradeFromCombinedMigrations() async throws {
        try await withServer { server in
            let sql = try #require(server.app.db as? any SQLDatabase)
            let migrated = try await Self.schema(of: sql)

            // What an older database looks like: every table there, the split-off migrations never recorded.
            let names = Self.splitOff.map(\.name)
            try await sql.raw("DELETE FROM _fluent_migrations WHERE name IN (\(binds: names))").run()
            let pending = try await server.app.migrator.previewPrepareBatch().get().map { $0.0.name }
            #expect(Set(pending) == Set(names))

            try await server.app.autoMigrate()
            Self.expectSame(try await Self.schema(of: sql), migrated, "after upgrading")
            #expect(try await Self.recordedMigrations(sql) == Set(Migrations.all.map(\.name)))

            // The upgraded database reverts and migrates like a fresh one.
            try await server.app.migrator.revertAllBatches().get()
            let reverted = try await Self.schema(of: sql)
            #expect(reverted.isEmpty, "left behind by the reverts:\n\(reverted.joined(separator: "\n"))")
            try await server.app.autoMigrate()
            Self.expectSame(try await Self.schema(of: sql), migrated, "after revert and migrate")
        }
    }

    @Test("Every migration has a distinct name")
    func distinctNames() {
        let names = Migrations.all.map(\.name)
        let repeated = Dictionary(grouping: names, by: { $0 }).filter { $0.value.count > 1 }.keys.sorted()
        #expect(repeated.isEmpty, "registered more than once: \(repeated)")
        #expect(Set(names).count == Migrations.all.count)
    }

    @Test("One migration per file in a Migrations/ folder, each registered, each creating at most one table")
    func oneMigrationPerFileOneTablePerMigration() throws {
        let sources = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/HWC3D")
        let enumerator = try #require(FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil))
        var declared: [String] = []
        var migrationFiles = 0
        for case let file as URL in enumerator where file.pathExtension == "swift" {
            let relative = String(file.path.dropFirst(sources.path.count + 1))
            let code = try String(contentsOf: file, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix("//") }
                .joined(separator: "\n")
            let structs = code.matches(of: /struct (\w+): (?:Async)?Migration\b/).map { String($0.output.1) }
            declared += structs
            let inMigrationsFolder = file.deletingLastPathComponent().lastPathComponent == "Migrations"
            guard inMigrationsFolder else {
                #expect(structs.isEmpty, "\(relative) declares \(structs); migrations live in a Migrations/ folder")
                continue
            }
            migrationFiles += 1
            let name = file.deletingPathExtension().lastPathComponent
            #expect(structs == [name], "\(relative) must declare exactly one migration, named \(name); it has \(structs)")
            let creates = code.ranges(of: ".create()").count + code.ranges(of: "CREATE TABLE").count
                + code.ranges(of: "CREATE VIRTUAL TABLE").count
            let allowed = Self.multiTableExceptions[name] ?? 1
            #expect(creates <= allowed, "\(relative) creates \(creates) tables; one per migration")
        }
        #expect(migrationFiles > 0, "no migration files under \(sources.path)")
        let registered = Migrations.all.map { String(describing: type(of: $0)) }
        #expect(declared.sorted() == registered.sorted(), "declared and registered migrations differ")
        for name in Self.multiTableExceptions.keys { #expect(registered.contains(name), "stale exception \(name)") }
    }

    // MARK: schema snapshots

    static func recordedMigrations(_ sql: any SQLDatabase) async throws -> Set<String> {
        Set(try await sql.select().column("name").from("_fluent_migrations").all().map { try $0.decode(column: "name", as: String.self) })
    }

    /// Everything the migrations made, one line per object, column, constraint and table row count, sorted;
    /// `_fluent_migrations` left out. Empty when no application table, index, trigger or type is left.
    static func schema(of sql: any SQLDatabase) async throws -> [String] {
        var lines: [String] = []
        var tables: [String] = []
        if sql.dialect.name == "postgresql" {
            for row in try await sql.raw("""
                SELECT table_name::text AS name, table_type::text AS type FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_name <> '_fluent_migrations'
                """).all() {
                let name = try row.decode(column: "name", as: String.self)
                lines.append("table \(name) (\(try row.decode(column: "type", as: String.self)))")
                tables.append(name)
            }
            for row in try await sql.raw("""
                SELECT table_name::text AS t, column_name::text AS c, data_type::text AS type, udt_name::text AS udt,
                       is_nullable::text AS nullable, column_default::text AS dflt, ordinal_position::int AS pos
                FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name <> '_fluent_migrations'
                """).all() {
                lines.append(
                    "column \(try row.decode(column: "t", as: String.self)).\(try row.decode(column: "c", as: String.self)) "
                        + "#\(try row.decode(column: "pos", as: Int.self)) \(try row.decode(column: "type", as: String.self)) "
                        + "\(try row.decode(column: "udt", as: String.self)) nullable=\(try row.decode(column: "nullable", as: String.self)) "
                        + "default=\(try row.decode(column: "dflt", as: String?.self) ?? "-")")
            }
            for row in try await sql.raw("""
                SELECT tablename::text AS t, indexname::text AS i, indexdef::text AS def FROM pg_indexes
                WHERE schemaname = current_schema() AND tablename <> '_fluent_migrations'
                """).all() {
                lines.append("index \(try row.decode(column: "i", as: String.self)): \(try row.decode(column: "def", as: String.self))")
            }
            for row in try await sql.raw("""
                SELECT conrelid::regclass::text AS t, conname::text AS c, pg_get_constraintdef(oid)::text AS def
                FROM pg_constraint
                WHERE connamespace = current_schema()::regnamespace AND conrelid <> '_fluent_migrations'::regclass
                """).all() {
                lines.append(
                    "constraint \(try row.decode(column: "t", as: String.self)).\(try row.decode(column: "c", as: String.self)): "
                        + (try row.decode(column: "def", as: String.self)))
            }
            for row in try await sql.raw("SELECT tgname::text AS name FROM pg_trigger WHERE NOT tgisinternal").all() {
                lines.append("trigger \(try row.decode(column: "name", as: String.self))")
            }
            for row in try await sql.raw("""
                SELECT typname::text AS name FROM pg_type
                WHERE typnamespace = current_schema()::regnamespace AND typtype IN ('e', 'd')
                """).all() {
                lines.append("type \(try row.decode(column: "name", as: String.self))")
            }
        } else {
            for row in try await sql.raw("""
                SELECT type, name, tbl_name, sql FROM sqlite_master
                WHERE tbl_name <> '_fluent_migrations' AND name <> 'sqlite_sequence' AND name NOT LIKE 'sqlite_stat%'
                """).all() {
                let type = try row.decode(column: "type", as: String.self)
                let name = try row.decode(column: "name", as: String.self)
                lines.append(
                    "\(type) \(name) on \(try row.decode(column: "tbl_name", as: String.self)): "
                        + (try row.decode(column: "sql", as: String?.self) ?? "-"))
                guard type == "table" else { continue }
                tables.append(name)
                for column in try await sql.raw("SELECT cid, name, type, \"notnull\", CAST(dflt_value AS TEXT) AS dflt, pk FROM pragma_table_info(\(bind: name))").all() {
                    lines.append(
                        "column \(name).\(try column.decode(column: "name", as: String.self)) "
                            + "#\(try column.decode(column: "cid", as: Int.self)) \(try column.decode(column: "type", as: String.self)) "
                            + "notnull=\(try column.decode(column: "notnull", as: Int.self)) "
                            + "default=\(try column.decode(column: "dflt", as: String?.self) ?? "-") "
                            + "pk=\(try column.decode(column: "pk", as: Int.self))")
                }
            }
        }
        // Data migrations (the seeded categories) count too.
        for table in tables {
            let count = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first().map { try $0.decode(column: "n", as: Int.self) }
            lines.append("rows \(table): \(count ?? -1)")
        }
        return lines.sorted()
    }

    static func expectSame(_ actual: [String], _ expected: [String], _ when: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let missing = Set(expected).subtracting(actual).sorted()
        let extra = Set(actual).subtracting(expected).sorted()
        #expect(
            actual == expected,
            "schema \(when) differs from the first migration's\nmissing:\n\(missing.joined(separator: "\n"))\nextra:\n\(extra.joined(separator: "\n"))",
            sourceLocation: sourceLocation)
    }
}
