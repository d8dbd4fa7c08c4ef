import Fluent
import Foundation
import HWC3DAPI

/// What `/ws/community/{id}` hears, published in the transaction of the change: `post.created`, `post.updated`
/// and `post.deleted` (`{"id"}`), `comment.created` (`{"post_id", "comment"}`), `reaction.changed`
/// (`{"post_id", "reactions", "reaction_count"}`) and `member.joined` (`{"user"}`). The stored events hold ids; the
/// renderers read the post, comment, counts or member when they are sent, as a signed-out reader sees them (the
/// socket is shared by everyone on the channel, so nothing in it is personal).
enum CommunityEvents {
    static func channel(of communityID: UUID) -> String { "community:\(communityID.uuidString.lowercased())" }

    static func post(_ type: String, _ postID: UUID, in communityID: UUID, on database: any Database, now: Date = Date()) async throws {
        try await RealtimeEvents.publish(channel: channel(of: communityID), type: type, data: ["id": postID.uuidString.lowercased()], on: database, now: now)
    }

    static func comment(_ commentID: UUID, on postID: UUID, in communityID: UUID, on database: any Database, now: Date) async throws {
        try await RealtimeEvents.publish(
            channel: channel(of: communityID), type: "comment.created",
            data: ["id": commentID.uuidString.lowercased(), "post_id": postID.uuidString.lowercased()], on: database, now: now)
    }

    static func reactions(of postID: UUID, in communityID: UUID, on database: any Database, now: Date) async throws {
        try await RealtimeEvents.publish(channel: channel(of: communityID), type: "reaction.changed", data: ["post_id": postID.uuidString.lowercased()], on: database, now: now)
    }

    static func memberJoined(_ userID: UUID, in communityID: UUID, on database: any Database, now: Date) async throws {
        try await RealtimeEvents.publish(channel: channel(of: communityID), type: "member.joined", data: ["user_id": userID.uuidString.lowercased()], on: database, now: now)
    }

    /// Closes the user's sockets on the community at once (removed, banned).
    static func accessRevoked(_ userID: UUID, in communityID: UUID, on database: any Database, now: Date) async throws {
        try await RealtimeEvents.publish(channel: channel(of: communityID), type: RealtimeHub.accessRevoked, data: ["user_id": userID.uuidString.lowercased()], on: database, now: now)
    }

    static func renderers(on hub: RealtimeHub, database: any Database, settings: Settings) {
        let encoder = RealtimeEvents.encoder
        let postRenderer: RealtimeHub.Renderer = { event in
            guard let id = event.id("id") else { return nil }
            let reads = PostReads(database: database)
            guard let view = try await reads.one(id, reader: nil) else { return nil }
            let cards = try await reads.modelCards(for: [view], settings: settings)
            let post = Components.Schemas.Post(view, model: view.listedModelID.flatMap { cards[$0] }, settings: settings)
            return String(decoding: try encoder.encode(post), as: UTF8.self)
        }
        hub.render("post.created", with: postRenderer)
        hub.render("post.updated", with: postRenderer)
        hub.render("comment.created") { event in
            guard let id = event.id("id"), let postID = event.id("post_id"),
                let entry = try await PostCommentService(database: database).entry(id)
            else { return nil }
            let comment = String(decoding: try encoder.encode(Components.Schemas.Comment(entry, settings: settings)), as: UTF8.self)
            return #"{"post_id":"\#(postID.uuidString.lowercased())","comment":\#(comment)}"#
        }
        hub.render("reaction.changed") { event in
            guard let postID = event.id("post_id") else { return nil }
            let state = try await PostReactionService(database: database).counts(postID)
            let counts = String(decoding: try encoder.encode(Components.Schemas.PostReactions(state)), as: UTF8.self)
            return #"{"post_id":"\#(postID.uuidString.lowercased())","reactions":\#(counts)}"#
        }
        hub.render("member.joined") { event in
            guard let userID = event.id("user_id"), let communityID = event.channelID("community") else { return nil }
            let member = try await MembershipService(database: database).member(communityID: communityID, userID: userID)
            let user = String(decoding: try encoder.encode(Components.Schemas.UserSummary(member.user, settings: settings)), as: UTF8.self)
            return #"{"user":\#(user)}"#
        }
    }
}
