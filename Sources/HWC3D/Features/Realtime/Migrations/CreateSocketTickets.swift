import Fluent

/// Single-use socket tickets (`SocketTicket`).
struct CreateSocketTickets: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(SocketTicket.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("token_hash", .string, .required)
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("session_id", .uuid, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .unique(on: "token_hash")
            .create()
        try await DatabaseIndex.create("socket_tickets_expires_idx", on: SocketTicket.schema, columns: ["expires_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(SocketTicket.schema).delete()
    }
}
