import Fluent

/// The listed-count triggers learn that a withheld model (`withheld_at`) is not listed: they are dropped and made
/// again with the new definition, and the counts taken afresh, all in the migration's transaction.
struct UpdateListedModelCountsForWithheld: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await CreateListedModelCounts.dropTriggers(on: database)
        try await CreateListedModelCounts.install(.publishedNotWithheld, on: database)
    }

    func revert(on database: any Database) async throws {
        try await CreateListedModelCounts.dropTriggers(on: database)
        try await CreateListedModelCounts.install(.published, on: database)
    }
}

extension CreateListedModelCounts.Definition {
    /// Published, public, not deleted and not withheld: `ListingSQL.isListed` since this migration.
    static let publishedNotWithheld = CreateListedModelCounts.Definition(
        trackedColumns: "status, visibility, deleted_at, withheld_at, category_id, license, formats"
    ) { row in
        "\(row).status = 'published' AND \(row).visibility = 'public' AND \(row).deleted_at IS NULL AND \(row).withheld_at IS NULL"
    }
}
