import Fluent

/// Normalised tags (`CatalogueTag`), shared by every model that carries them.
///
/// Until `CreateModelTags` was split off, this also created `model_tags`.
struct CreateTags: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CatalogueTag.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("name", .string, .required)
            .unique(on: "name")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CatalogueTag.schema).delete()
    }
}
