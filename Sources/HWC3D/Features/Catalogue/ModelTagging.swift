import Fluent
import Foundation
import SQLKit

/// Which tags a model carries, for Listings to set when a model is created or edited: `tags` and `model_tags`
/// are Catalogue's, so the tag rows are made and linked here.
enum ModelTagging {
    /// Replaces the model's tags with `names` (already normalised by `TagName`, in order), inside the caller's
    /// transaction.
    static func replace(tagsOf modelID: UUID, with names: [String], on database: any Database) async throws {
        try await ModelTag.query(on: database).filter(\.$model.$id == modelID).delete()
        let sql = database.sql
        for name in names {
            // Two creators may introduce the same new tag at once; the loser of the race reuses the winner's row.
            try await sql.raw("INSERT INTO tags (id, name) VALUES (\(bind: UUID.v7()), \(bind: name)) ON CONFLICT (name) DO NOTHING").run()
            guard let tag = try await CatalogueTag.query(on: database).filter(\.$name == name).first() else { continue }
            try await ModelTag(modelID: modelID, tagID: tag.requireID()).create(on: database)
        }
    }
}
