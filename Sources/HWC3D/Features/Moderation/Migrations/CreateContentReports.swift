import Fluent
import SQLKit

/// Reports (`ContentReport`).
struct CreateContentReports: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ContentReport.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("reporter_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("target_type", .string, .required)
            .field("target_id", .uuid, .required)
            .field("reason", .string, .required)
            .field("details", .string)
            .field("status", .string, .required)
            .field("action", .string)
            .field("note", .string)
            .field("handled_by", .uuid, .references(User.schema, .id, onDelete: .setNull))
            .field("handled_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
        // One open report per reporter and target: a partial unique index, which both databases have.
        try await database.sql.raw("""
            CREATE UNIQUE INDEX content_reports_open_idx ON content_reports (reporter_id, target_type, target_id) WHERE status = 'open'
            """).run()
        try await DatabaseIndex.create("content_reports_queue_idx", on: ContentReport.schema, columns: ["status", "target_type", "target_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ContentReport.schema).delete()
    }
}
