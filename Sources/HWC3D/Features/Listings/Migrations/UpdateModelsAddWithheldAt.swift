import Fluent

/// Set while the model's creator is suspended (`CreatorWithholding`): the model leaves every public list and
/// comes back, as it was, when the suspension is lifted. Kept apart from `visibility`, which is the creator's choice.
struct UpdateModelsAddWithheldAt: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelAsset.schema).field("withheld_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelAsset.schema).deleteField("withheld_at").update()
    }
}
