import Fluent

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
