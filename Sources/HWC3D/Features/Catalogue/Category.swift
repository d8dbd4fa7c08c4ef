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

/// The starting tree, so a fresh install has somewhere to file models. Admins edit it later.
struct SeedCategories: AsyncMigration {
    static let tree: [(slug: String, name: String, children: [(String, String)])] = [
        ("characters", "Characters & creatures", [("humans", "Humans"), ("creatures", "Creatures"), ("robots", "Robots")]),
        ("vehicles", "Vehicles", [("cars", "Cars"), ("aircraft", "Aircraft"), ("ships", "Ships")]),
        ("architecture", "Architecture", [("buildings", "Buildings"), ("interiors", "Interiors")]),
        ("furniture", "Furniture & home", [("seating", "Seating"), ("tables", "Tables"), ("lighting", "Lighting")]),
        ("nature", "Nature", [("plants", "Plants"), ("rocks", "Rocks & terrain")]),
        ("props", "Props", [("weapons", "Weapons"), ("tools", "Tools"), ("food", "Food")]),
        ("electronics", "Electronics & gadgets", []),
        ("art", "Art & abstract", []),
    ]

    func prepare(on database: any Database) async throws {
        for (index, root) in Self.tree.enumerated() {
            let parent = Category(slug: root.slug, name: root.name, parentID: nil, position: index)
            try await parent.create(on: database)
            for (childIndex, child) in root.children.enumerated() {
                try await Category(slug: child.0, name: child.1, parentID: parent.id, position: childIndex).create(on: database)
            }
        }
    }

    func revert(on database: any Database) async throws {
        try await Category.query(on: database).delete()
    }
}
