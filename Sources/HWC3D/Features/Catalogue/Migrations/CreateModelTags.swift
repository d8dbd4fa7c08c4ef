import Fluent
import SQLKit

/// Which model carries which tag (`ModelTag`), one row per pair.
///
/// Split off `CreateTags`, which created this table too in databases migrated before the split: there the
/// table and its indexes exist already, hence `ignoreExisting()` and `IF NOT EXISTS`.
struct CreateModelTags: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelTag.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("tag_id", .uuid, .required, .references(CatalogueTag.schema, .id, onDelete: .cascade))
            .unique(on: "model_id", "tag_id")
            .ignoreExisting()
            .create()
        try await database.sql.raw("CREATE INDEX IF NOT EXISTS model_tags_tag_idx ON model_tags (tag_id, model_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelTag.schema).delete()
    }
}
