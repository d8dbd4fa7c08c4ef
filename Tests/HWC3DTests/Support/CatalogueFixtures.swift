import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Models and moderators for catalogue tests, made straight in the database while no HTTP route creates models
/// (they can become HTTP calls once `POST /models` and the moderation routes exist).
enum CatalogueFixtures {
    /// A model row in the given state; tags are created as needed and linked through `model_tags`.
    @discardableResult
    static func model(
        _ server: TestServer, owner: TestServer.SignedIn, title: String = "Sci-fi crate",
        status: ModelAsset.Status = .published, visibility: ModelAsset.Visibility = .public, deleted: Bool = false,
        category: String? = nil, tags: [String] = []
    ) async throws -> UUID {
        let db = server.app.db
        let ownerID = try #require(UUID(uuidString: owner.id))
        let slugBase = title.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
        let model = ModelAsset(ownerID: ownerID, slug: "\(slugBase)-\(UUID().uuidString.prefix(8).lowercased())", title: title)
        model.status = status.rawValue
        model.visibility = visibility.rawValue
        model.tagsText = tags.joined(separator: " ")
        if status == .published { model.publishedAt = Date() }
        if deleted { model.deletedAt = Date() }
        if let category {
            model.$category.id = try #require(try await Category.query(on: db).filter(\.$slug == category).first()?.id)
        }
        try await model.create(on: db)
        for name in tags {
            let tag: CatalogueTag
            if let existing = try await CatalogueTag.query(on: db).filter(\.$name == name).first() {
                tag = existing
            } else {
                tag = CatalogueTag(name: name)
                try await tag.create(on: db)
            }
            try await ModelTag(modelID: model.id!, tagID: tag.id!).create(on: db)
        }
        return model.id!
    }

    static func row(_ server: TestServer, _ id: UUID) async throws -> ModelAsset {
        try #require(try await ModelAsset.find(id, on: server.app.db))
    }

    static func setStatus(_ server: TestServer, _ id: UUID, _ status: ModelAsset.Status) async throws {
        let model = try await row(server, id)
        model.status = status.rawValue
        try await model.update(on: server.app.db)
    }

    /// A verified account holding `role`, and an access token of an admin session (both sign-in factors passed).
    static func admin(_ server: TestServer, _ username: String, role: AdminRole = .moderator) async throws
        -> (user: TestServer.SignedIn, adminToken: String)
    {
        let user = try await server.makeAdmin(username, role: role)
        return (user, try #require(try await server.adminSignIn(user)["access_token"] as? String))
    }

    /// Rows of `model_daily_stats` for a model, by day.
    static func dailyStats(_ server: TestServer, _ modelID: UUID) async throws -> [String: [String: Int]] {
        let sql = try #require(server.app.db as? any SQLDatabase)
        let rows = try await sql.raw("SELECT day, views, downloads, likes, sales FROM model_daily_stats WHERE model_id = \(bind: modelID)").all()
        var result: [String: [String: Int]] = [:]
        for row in rows {
            result[try row.decode(column: "day", as: String.self)] = [
                "views": try row.decode(column: "views", as: Int.self), "downloads": try row.decode(column: "downloads", as: Int.self),
                "likes": try row.decode(column: "likes", as: Int.self), "sales": try row.decode(column: "sales", as: Int.self),
            ]
        }
        return result
    }

    static func count(_ server: TestServer, _ query: SQLQueryString) async throws -> Int {
        let sql = try #require(server.app.db as? any SQLDatabase)
        return try #require(try await sql.raw("SELECT COUNT(*) AS n FROM \(query)").first()).decode(column: "n", as: Int.self)
    }
}
