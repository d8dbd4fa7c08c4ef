import Foundation
import HWC3DAPI

// Communities, members and posts as the contract shows them.
extension Components.Schemas.Community {
    /// Activity (post count, last activity) of a private community is for those who may read its content.
    init(_ place: CommunityPlace, settings: Settings) {
        let community = place.community
        let showsActivity = community.visibility == .public || place.isMember
        self.init(
            id: community.id.uuidString.lowercased(), slug: community.slug, name: community.name, description: community.description,
            rules: community.rules, rulesHtml: community.rulesHTML,
            visibility: community.visibility == .public ? ._public : ._private, verified: community.verified,
            category: community.category,
            owner: .init(community.owner, settings: settings), memberCount: community.memberCount,
            postCount: showsActivity ? community.postCount : nil, lastActivityAt: showsActivity ? community.lastActivityAt : nil,
            createdAt: community.createdAt,
            membership: place.role.flatMap { role in place.status.map { .init(role: .init(role), status: .init($0)) } })
    }
}

extension Components.Schemas.CommunityRole {
    init(_ role: CommunityMember.Role) {
        switch role {
        case .owner: self = .owner
        case .moderator: self = .moderator
        case .member: self = .member
        }
    }
}

extension Components.Schemas.MembershipStatus {
    init(_ status: CommunityMember.Status) {
        switch status {
        case .active: self = .active
        case .pending: self = .pending
        case .banned: self = .banned
        }
    }
}

extension Components.Schemas.CommunityMember {
    init(_ member: MembershipService.Member, settings: Settings) {
        self.init(
            user: .init(member.user, settings: settings), role: .init(member.role), status: .init(member.status),
            requestedAt: member.requestedAt, joinedAt: member.joinedAt)
    }
}

extension Components.Schemas.Post {
    init(_ view: PostReads.View, model: Components.Schemas.ModelSummary?, settings: Settings) {
        self.init(
            id: view.id.uuidString.lowercased(), community: view.community, author: .init(view.author, settings: settings),
            title: view.title, body: view.body, bodyHtml: view.bodyHTML,
            images: view.images.map { .init($0, settings: settings) }, model: model, pinned: view.pinned,
            reactions: view.reactions, reactionCount: view.reactionCount, commentCount: view.commentCount,
            shareCount: view.shareCount, myReaction: view.myReaction.map(Components.Schemas.ReactionType.init),
            url: PostService.url(of: view.id, slug: view.community.slug, settings: settings),
            createdAt: view.createdAt, editedAt: view.editedAt)
    }
}

// The contract's reaction types are the stored ones, name for name.
extension Components.Schemas.ReactionType {
    init(_ kind: PostReaction.Kind) {
        self.init(rawValue: kind.rawValue)!
    }
}

extension PostReaction.Kind {
    init(_ type: Components.Schemas.ReactionType) {
        self.init(rawValue: type.rawValue)!
    }
}

extension Components.Schemas.PostReactions {
    init(_ state: PostReactionService.State) {
        self.init(
            myReaction: state.mine.map(Components.Schemas.ReactionType.init),
            reactions: .init(
                like: state.counts[.like] ?? 0, love: state.counts[.love] ?? 0, fire: state.counts[.fire] ?? 0,
                wow: state.counts[.wow] ?? 0, laugh: state.counts[.laugh] ?? 0),
            reactionCount: state.total)
    }
}
