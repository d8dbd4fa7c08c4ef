import Fluent

/// The two-level category tree models are filed under (`Category`).
struct CreateCategories: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Category.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("slug", .string, .required)
            .field("name", .string, .required)
            .field("parent_id", .uuid, .references(Category.schema, .id, onDelete: .cascade))
            .field("position", .int, .required)
            .unique(on: "slug")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Category.schema).delete()
    }
}
