import Fluent

/// Buyers' carts (`CartItem`), with the price each model had when it was added.
struct CreateCartItems: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CartItem.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("price_when_added_cents", .int64, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "model_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CartItem.schema).delete()
    }
}
