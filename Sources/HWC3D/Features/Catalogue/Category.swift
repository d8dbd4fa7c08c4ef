import Fluent
import Foundation

/// A node of the two-level category tree models are filed under.
final class Category: Model, @unchecked Sendable {
    static let schema = "categories"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "name") var name: String
    @OptionalField(key: "parent_id") var parentID: UUID?
    @Field(key: "position") var position: Int

    init() {}

    init(slug: String, name: String, parentID: UUID?, position: Int) {
        self.id = .v7()
        self.slug = slug
        self.name = name
        self.parentID = parentID
        self.position = position
    }
}

extension Category {
    /// The category a listing names by slug (any case), for the features that file models under one.
    static func withSlug(_ slug: String, on database: any Database) async throws -> Category? {
        try await Category.query(on: database).filter(\.$slug == slug.lowercased()).first()
    }
}
