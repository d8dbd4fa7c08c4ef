import Fluent
import Foundation

/// Reports on posts (`ReportableContent`): visible to those who may read the community; removal deletes the post.
struct PostReports: ReportableContent {
    func isVisible(_ id: UUID, to viewer: Caller, on database: any Database) async throws -> Bool {
        (try? await CommunityAccess.post(id.uuidString, caller: viewer, on: database)) != nil
    }

    func snapshot(_ id: UUID, on database: any Database) async throws -> ReportedContent {
        guard let post = try await CommunityPost.find(id, on: database) else { return .gone }
        let community = try await Community.find(post.communityID, on: database)
        return ReportedContent(
            exists: true, removed: post.deletedAt != nil, title: post.title, text: post.body, authorID: post.authorID,
            link: community.map { PostService.path(of: id, slug: $0.slug) })
    }

    func remove(_ id: UUID, reason: String, admin: AdminCaller, services: AppServices, on database: any Database) async throws {
        guard let post = try await CommunityPost.find(id, on: database), post.deletedAt == nil else { return }
        try await PostService(database: database).markDeleted(post)
    }
}

/// Reports on post comments (`ReportableContent`).
struct PostCommentReports: ReportableContent {
    func isVisible(_ id: UUID, to viewer: Caller, on database: any Database) async throws -> Bool {
        guard let comment = try await PostComment.find(id, on: database), comment.deletedAt == nil else { return false }
        return (try? await CommunityAccess.post(comment.postID.uuidString, caller: viewer, on: database)) != nil
    }

    func snapshot(_ id: UUID, on database: any Database) async throws -> ReportedContent {
        guard let comment = try await PostComment.find(id, on: database) else { return .gone }
        let post = try await CommunityPost.find(comment.postID, on: database)
        var community: Community?
        if let post { community = try await Community.find(post.communityID, on: database) }
        return ReportedContent(
            exists: true, removed: comment.deletedAt != nil, title: post?.title, text: comment.body, authorID: comment.authorID,
            link: community.map { PostService.path(of: comment.postID, slug: $0.slug) + "#comment-\(id.uuidString.lowercased())" })
    }

    func remove(_ id: UUID, reason: String, admin: AdminCaller, services: AppServices, on database: any Database) async throws {
        guard let comment = try await PostComment.find(id, on: database), comment.deletedAt == nil else { return }
        try await PostCommentService(database: database).markDeleted(comment)
    }
}

/// Reports on communities (`ReportableContent`): any live community; removal deletes it.
struct CommunityReports: ReportableContent {
    func isVisible(_ id: UUID, to viewer: Caller, on database: any Database) async throws -> Bool {
        (try? await CommunityAccess.place(id: id, caller: viewer, on: database)) != nil
    }

    func snapshot(_ id: UUID, on database: any Database) async throws -> ReportedContent {
        guard let community = try await Community.find(id, on: database) else { return .gone }
        return ReportedContent(
            exists: true, removed: community.deletedAt != nil || community.suspendedAt != nil, title: community.name,
            text: community.description, authorID: community.ownerID, link: "/communities/\(community.slug)")
    }

    func remove(_ id: UUID, reason: String, admin: AdminCaller, services: AppServices, on database: any Database) async throws {
        let sql = database.sql
        let now = Date()
        try await sql.raw("UPDATE communities SET deleted_at = \(bind: now), updated_at = \(bind: now) WHERE id = \(bind: id) AND deleted_at IS NULL").run()
    }
}
