import Fluent

/// Communities (`Community`); the slug is unique for ever, deleted ones included.
struct CreateCommunities: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Community.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("slug", .string, .required)
            .field("name", .string, .required)
            .field("description", .string, .required)
            .field("rules", .string)
            .field("rules_html", .string)
            .field("visibility", .string, .required)
            .field("category_id", .uuid, .references(Category.schema, .id, onDelete: .setNull))
            .field("owner_id", .uuid, .required, .references(User.schema, .id))
            .field("member_count", .int, .required, .sql(.default(0)))
            .field("post_count", .int, .required, .sql(.default(0)))
            .field("last_activity_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .field("verified_at", .datetime)
            .field("suspended_at", .datetime)
            .field("deleted_at", .datetime)
            .unique(on: "slug")
            .create()
        // The three sorts of the directory.
        try await DatabaseIndex.create("communities_members_idx", on: Community.schema, columns: ["member_count", "id"], in: database)
        try await DatabaseIndex.create("communities_activity_idx", on: Community.schema, columns: ["last_activity_at", "id"], in: database)
        try await DatabaseIndex.create("communities_created_idx", on: Community.schema, columns: ["created_at", "id"], in: database)
        try await DatabaseIndex.create("communities_owner_idx", on: Community.schema, columns: ["owner_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Community.schema).delete()
    }
}
