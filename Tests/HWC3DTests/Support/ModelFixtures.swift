import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Catalogue rows for search tests, written straight to the database with everything a card and the filters
/// read (files, images, tags, counters), then indexed as the create and update routes index them.
enum ModelFixtures {
    struct Spec {
        var title: String
        var description = ""
        var category: String?
        var tags: [String] = []
        var license: ModelAsset.License = .standard
        var priceCents = 0
        var status: ModelAsset.Status = .published
        var visibility: ModelAsset.Visibility = .public
        var deleted = false
        var featured = false
        /// Files whose analysis succeeded, by format.
        var formats: [String] = ["glb"]
        /// Files whose analysis failed: they give the model no format.
        var failedFormats: [String] = []
        var triangles = 1_000
        var animated = false
        var rigged = false
        var views = 0
        var downloads = 0
        var likes = 0
        /// Seconds before now it was published (and created), so `newest` has a defined order.
        var age: TimeInterval = 0
        var images = 0
        /// Position of the image chosen as cover, if one is chosen.
        var coverPosition: Int?

        init(_ title: String) { self.title = title }
    }

    /// An account made in the database (no token): for creators whose models are only looked at.
    @discardableResult
    static func user(_ server: TestServer, _ username: String, displayName: String? = nil, status: User.Status = .active) async throws -> UUID {
        let user = User(email: "\(username.lowercased())@example.com", username: username, passwordHash: nil, displayName: displayName ?? username.capitalized)
        user.status = status
        user.isCreator = true
        try await user.create(on: server.app.db)
        return user.id!
    }

    @discardableResult
    static func model(_ server: TestServer, owner: UUID, _ spec: Spec) async throws -> UUID {
        let db = server.app.db
        let slug = spec.title.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
            + "-" + UUID().uuidString.prefix(8).lowercased()
        let model = ModelAsset(ownerID: owner, slug: slug, title: spec.title)
        model.description = spec.description
        model.license = spec.license.rawValue
        model.priceCents = spec.priceCents
        model.status = spec.status.rawValue
        model.visibility = spec.visibility.rawValue
        model.featured = spec.featured
        model.tagsText = spec.tags.joined(separator: " ")
        model.formats = Set(spec.formats).sorted().joined(separator: ",")
        model.triangleCount = spec.triangles
        model.vertexCount = spec.triangles / 2 + 2
        model.animated = spec.animated
        model.rigged = spec.rigged
        model.viewCount = spec.views
        model.downloadCount = spec.downloads
        model.likeCount = spec.likes
        let when = Date().addingTimeInterval(-spec.age)
        model.id = .v7(now: when)
        if spec.status == .published { model.publishedAt = when }
        if spec.deleted { model.deletedAt = Date() }
        if let category = spec.category {
            model.$category.id = try #require(try await Category.query(on: db).filter(\.$slug == category).first()?.id, "category \(category)")
        }
        try await model.create(on: db)
        let modelID = model.id!
        for name in spec.tags {
            let tag: CatalogueTag
            if let existing = try await CatalogueTag.query(on: db).filter(\.$name == name).first() {
                tag = existing
            } else {
                tag = CatalogueTag(name: name)
                try await tag.create(on: db)
            }
            try await ModelTag(modelID: modelID, tagID: tag.id!).create(on: db)
        }
        for (format, status) in spec.formats.map({ ($0, "ready") }) + spec.failedFormats.map({ ($0, "failed") }) {
            let file = ModelFileRecord(
                id: .v7(), modelID: modelID, ownerID: owner, originalFilename: "mesh.\(format)", storageKey: "models/files/\(UUID())",
                format: format, packaging: "file", sizeBytes: 1_024, sha256: String(repeating: "0", count: 64))
            file.analysisStatus = status
            try await file.create(on: db)
        }
        var imageIDs: [UUID] = []
        for position in 0..<spec.images {
            let image = ModelImageRecord(id: .v7(), modelID: modelID, ownerID: owner, position: position, width: 1280, height: 960, sizeBytes: 10)
            image.generated = false
            try await image.create(on: db)
            imageIDs.append(image.id!)
        }
        if let cover = spec.coverPosition {
            model.coverImageID = imageIDs[cover]
            try await model.update(on: db)
        }
        try await ModelSearchIndex.refresh(modelID: modelID, on: db)
        return modelID
    }

    /// Adds a day of activity, as `ModelActivity` records it.
    static func activity(_ server: TestServer, _ modelID: UUID, daysAgo: Int, views: Int = 0, downloads: Int = 0, likes: Int = 0) async throws {
        let sql = try #require(server.app.db as? any SQLDatabase)
        let day = UTCDay.string(dayNumber: UTCDay.number(Date()) - daysAgo)
        try await sql.raw("""
            INSERT INTO model_daily_stats (model_id, day, views, downloads, likes, sales)
            VALUES (\(bind: modelID), \(bind: day), \(bind: views), \(bind: downloads), \(bind: likes), 0)
            """).run()
    }
}

extension TestResponse {
    /// `items[].title` of a list response, in order.
    var titles: [String] {
        ((try? object())?["items"] as? [[String: Any]] ?? []).compactMap { $0["title"] as? String }
    }

    var items: [[String: Any]] { (try? object())?["items"] as? [[String: Any]] ?? [] }

    var meta: [String: Int] { ((try? object())?["meta"] as? [String: Any] ?? [:]).compactMapValues { $0 as? Int } }

    /// One facet as `value: count`.
    func facet(_ name: String) -> [String: Int] {
        let facets = (try? object())?["facets"] as? [String: Any] ?? [:]
        var counts: [String: Int] = [:]
        for entry in facets[name] as? [[String: Any]] ?? [] {
            if let value = entry["value"] as? String, let count = entry["count"] as? Int { counts[value] = count }
        }
        return counts
    }
}
