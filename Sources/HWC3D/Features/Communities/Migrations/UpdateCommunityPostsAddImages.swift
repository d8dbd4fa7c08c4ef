import Fluent

/// A post's images as it shows them: a JSON array of `{id, width, height}` in the author's order, written with
/// the attachment (`UploadedImages.attach`) so a page of posts reads them with the row. Existing posts have none.
struct UpdateCommunityPostsAddImages: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CommunityPost.schema)
            .field("images", .string, .required, .sql(.default("[]")))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CommunityPost.schema).deleteField("images").update()
    }
}
