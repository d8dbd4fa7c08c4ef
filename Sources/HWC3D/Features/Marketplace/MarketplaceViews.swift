import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// Maps marketplace rows to contract types. Model references come from the catalogue's cards, so a purchase of a
/// model that was archived or deleted since still shows its title, creator and cover.
enum TransactionViews {
    static func modelRefs(_ ids: [UUID], on database: any Database, settings: Settings) async throws -> [UUID: Components.Schemas.PurchasedModelRef] {
        let cards = try await ModelCards.load(ids: Array(Set(ids)), on: database.sql, settings: settings)
        var refs: [UUID: Components.Schemas.PurchasedModelRef] = [:]
        for card in cards {
            guard let id = UUID(uuidString: card.id) else { continue }
            refs[id] = .init(id: card.id, slug: card.slug, title: card.title, coverImage: card.coverImage, creator: card.creator)
        }
        return refs
    }

    static func fallbackRef(_ id: UUID, title: String) -> Components.Schemas.PurchasedModelRef {
        .init(id: id.uuidString.lowercased(), slug: id.uuidString.lowercased(), title: title)
    }

    static func transaction(_ transaction: PaymentTransaction, on database: any Database, settings: Settings) async throws -> Components.Schemas.Transaction {
        try await transactions([transaction], on: database, settings: settings)[0]
    }

    static func transactions(_ transactions: [PaymentTransaction], on database: any Database, settings: Settings) async throws -> [Components.Schemas.Transaction] {
        let ids = try transactions.map { try $0.requireID() }
        let items = try await TransactionRows.items(of: ids, on: database)
        let refs = try await modelRefs(items.map { $0.$model.id }, on: database, settings: settings)
        let itemsByTransaction = Dictionary(grouping: items, by: { $0.$transaction.id })
        return try transactions.map { transaction in
            let id = try transaction.requireID()
            return .init(
                id: id.uuidString.lowercased(),
                status: .init(rawValue: transaction.status) ?? .failed,
                provider: .init(rawValue: transaction.provider) ?? .sandbox,
                testMode: transaction.testMode, amountCents: transaction.amountCents, refundedCents: transaction.refundedCents,
                currency: transaction.currency,
                items: (itemsByTransaction[id] ?? []).map { item in
                    .init(id: item.id!.uuidString.lowercased(), model: refs[item.$model.id] ?? fallbackRef(item.$model.id, title: item.title),
                          priceCents: item.priceCents, refunded: item.refundedAt != nil)
                },
                failureReason: transaction.failureReason, createdAt: transaction.createdAt ?? Date(), paidAt: transaction.paidAt)
        }
    }

    static func refundRequests(_ requests: [RefundRequestRecord], on database: any Database, settings: Settings) async throws -> [Components.Schemas.RefundRequest] {
        guard !requests.isEmpty else { return [] }
        let items = try await TransactionItem.query(on: database).filter(\.$id ~~ requests.map { $0.$item.id }).all()
        let itemsByID = Dictionary(items.map { ($0.id!, $0) }, uniquingKeysWith: { first, _ in first })
        let refs = try await modelRefs(items.map { $0.$model.id }, on: database, settings: settings)
        let buyersByID = try await User.byID(requests.map { $0.$buyer.id }, on: database)
        return requests.compactMap { request in
            guard let item = itemsByID[request.$item.id], let buyer = buyersByID[request.$buyer.id] else { return nil }
            return .init(
                id: request.id!.uuidString.lowercased(), purchaseId: request.$purchase.id.uuidString.lowercased(),
                transactionId: request.$transaction.id.uuidString.lowercased(),
                model: refs[item.$model.id] ?? fallbackRef(item.$model.id, title: item.title),
                buyer: .init(buyer, settings: settings), amountCents: request.amountCents, currency: request.currency,
                reason: request.reason, status: .init(rawValue: request.status) ?? .pending, decisionNote: request.decisionNote,
                createdAt: request.createdAt, decidedAt: request.decidedAt)
        }
    }

    static func payout(_ payout: Payout) -> Components.Schemas.Payout {
        .init(
            id: payout.id!.uuidString.lowercased(), amountCents: payout.amountCents, currency: payout.currency,
            status: .init(rawValue: payout.status) ?? .pending, method: .init(rawValue: payout.method) ?? .stripeConnect,
            destination: payout.destination, provider: payout.provider.flatMap { .init(rawValue: $0) },
            providerReference: payout.providerReference, note: payout.note, createdAt: payout.createdAt, decidedAt: payout.decidedAt)
    }

    static func payoutMethod(_ method: PayoutMethodRecord) -> Components.Schemas.PayoutMethod {
        let kind = Components.Schemas.PayoutMethodType(rawValue: method.type) ?? .stripeConnect
        return .init(
            _type: kind, stripeAccountId: kind == .stripeConnect ? method.destination : nil,
            paypalEmail: kind == .paypal ? method.destination : nil, updatedAt: method.updatedAt)
    }
}
