import Fluent
import Foundation

/// A normalised tag (`low-poly`), shared by every model that carries it.
final class CatalogueTag: Model, @unchecked Sendable {
    static let schema = "tags"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "name") var name: String

    init() {}

    init(name: String) {
        self.id = .v7()
        self.name = name
    }
}

final class ModelTag: Model, @unchecked Sendable {
    static let schema = "model_tags"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "model_id") var model: ModelAsset
    @Parent(key: "tag_id") var tag: CatalogueTag

    init() {}

    init(modelID: UUID, tagID: UUID) {
        self.id = .v7()
        self.$model.id = modelID
        self.$tag.id = tagID
    }
}

/// Tags as people type them become one canonical spelling: lower case, words joined by `-`.
enum TagName {
    /// No tag survives normalising from more than this many bytes; longer input is refused before any work.
    static let maxRawBytes = 128

    static func normalise(_ raw: String) -> String? {
        guard raw.utf8.count <= maxRawBytes else { return nil }
        var words: [String] = []
        var current = ""
        for scalar in raw.precomposedStringWithCanonicalMapping.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        let name = words.joined(separator: "-")
        return (2...32).contains(name.count) ? name : nil
    }

    /// Every tag normalised, duplicates dropped in order, in time linear in the list; nil if any tag is invalid.
    /// Callers bound the list's length first.
    static func normaliseAll<S: Sequence>(_ raws: S) -> [String]? where S.Element: StringProtocol {
        var names: [String] = []
        var seen = Set<String>()
        for raw in raws {
            guard let name = normalise(String(raw)) else { return nil }
            if seen.insert(name).inserted { names.append(name) }
        }
        return names
    }
}
