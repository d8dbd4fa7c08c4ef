import Fluent
import Foundation
import SQLKit

/// The metadata a creator may set, validated once for create and update. Anything not listed here (owner, status,
/// counters, slug) never comes from a request body.
struct ModelFields {
    var title: String?
    var description: String?
    /// `.some(nil)` clears the category.
    var category: Category??
    var tags: [String]?
    var license: ModelAsset.License?
    var priceCents: Int?
    var visibility: ModelAsset.Visibility?

    static let maxTags = 20
    static let priceRange = 100...1_000_000

    static func validate(
        title: String?, description: String?, category: String?, tags: [String]?, license: String?, priceCents: Int?,
        visibility: String?, on database: any Database
    ) async throws -> ModelFields {
        var errors: [Problem.FieldError] = []
        var fields = ModelFields()
        if let title {
            fields.title = TextInput.clean(title, field: "title", shape: .singleLine, length: 3...120, errors: &errors)
        }
        if let description {
            fields.description = TextInput.clean(
                description, field: "description", shape: .multiLine, length: 0...10_000, errors: &errors)
        }
        if let category {
            if category.isEmpty {
                fields.category = .some(nil)
            } else if category.count <= 64,
                let found = try await Category.withSlug(category, on: database) {
                fields.category = .some(found)
            } else {
                errors.append(.init(field: "category", message: "is not a known category"))
            }
        }
        if let tags {
            // Counted before any tag is looked at: the work per request stays bounded whatever the list's length.
            if tags.count > maxTags {
                errors.append(.init(field: "tags", message: "at most \(maxTags) tags"))
            } else if let names = TagName.normaliseAll(tags) {
                fields.tags = names
            } else {
                errors.append(.init(field: "tags", message: "each tag must have 2 to 32 letters or digits"))
            }
        }
        if let license {
            if let value = ModelAsset.License(rawValue: license) { fields.license = value } else {
                errors.append(.init(field: "license", message: "must be one of \(ModelAsset.License.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        if let priceCents {
            if priceCents == 0 || priceRange.contains(priceCents) { fields.priceCents = priceCents } else {
                errors.append(.init(field: "price_cents", message: "must be 0 (free) or between 100 and 1000000"))
            }
        }
        if let visibility {
            if let value = ModelAsset.Visibility(rawValue: visibility) { fields.visibility = value } else {
                errors.append(.init(field: "visibility", message: "must be public, unlisted or private"))
            }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        return fields
    }

    func apply(to model: ModelAsset) {
        if let title { model.title = title }
        if let description { model.description = description }
        if let category { model.$category.id = category?.id }
        if let license { model.license = license.rawValue }
        if let priceCents { model.priceCents = priceCents }
        if let visibility { model.visibility = visibility.rawValue }
    }
}

/// Human URLs: made from the title once, never changed afterwards, unique.
enum ModelSlug {
    static func base(for title: String) -> String {
        let folded = title.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: Locale(identifier: "en_US_POSIX"))
        var slug = ""
        var pendingDash = false
        for scalar in folded.unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                if pendingDash, !slug.isEmpty { slug.append("-") }
                slug.unicodeScalars.append(scalar)
                pendingDash = false
            } else {
                pendingDash = true
            }
            if slug.count >= 60 { break }
        }
        slug = slug.lowercased()
        // A slug that parses as a UUID would shadow the id form of `/models/{id_or_slug}`.
        if slug.count < 3 || UUID(uuidString: slug) != nil { slug = "model" + (slug.isEmpty ? "" : "-" + slug) }
        return slug
    }

    static func unique(for title: String, on database: any Database) async throws -> String {
        let base = base(for: title)
        if try await ModelAsset.query(on: database).filter(\.$slug == base).count() == 0 { return base }
        // A random suffix rather than -2, -3…: no enumeration of someone's drafts by slug, no race on the counter.
        return base + "-" + SecureRandom.token(bytes: 4).lowercased().filter { $0.isLetter || $0.isNumber }.prefix(6)
    }
}

/// Keeps the catalogue's tag links (`ModelTagging`) and the model's display copy of its tags in step.
enum ModelTags {
    static func replace(on model: ModelAsset, with names: [String], in database: any Database) async throws {
        try await ModelTagging.replace(tagsOf: model.requireID(), with: names, on: database)
        model.tagsText = names.joined(separator: " ")
    }

    static func names(of model: ModelAsset) -> [String] {
        model.tagsText.split(separator: " ").map(String.init)
    }
}
