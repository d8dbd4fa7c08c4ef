import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// A buyer's cart: which models may go in, and the cart as shown, with current prices and the total.
struct CartService {
    let services: AppServices
    let database: any Database

    static let maxItems = 100

    /// Why a model cannot be bought by this buyer, as the problem each answers with.
    enum Refusal: Equatable {
        case ownModel, alreadyOwned, free, unavailable

        var problem: Problem {
            switch self {
            case .ownModel: Problem.conflict("own-model", "Your own model", detail: "You cannot buy your own model.")
            case .alreadyOwned: Problem.conflict("already-owned", "Already owned", detail: "You already own this model; it is in your library.")
            case .free: Problem.conflict("model-free", "Free model", detail: "This model is free: download it without buying.")
            case .unavailable: Problem.conflict("model-unavailable", "Not for sale", detail: "This model is not available for sale.")
            }
        }
    }

    static func refusal(for model: ModelAsset, buyerID: UUID, currency: String, on database: any Database) async throws -> Refusal? {
        if let refusal = refusalBeforeOwnership(for: model, buyerID: buyerID, currency: currency) { return refusal }
        if try await Purchase.owns(buyerID: buyerID, modelID: model.requireID(), on: database) { return .alreadyOwned }
        return nil
    }

    /// The rules that need no query; ownership is the caller's to check, one model or a whole cart at once.
    private static func refusalBeforeOwnership(for model: ModelAsset, buyerID: UUID, currency: String) -> Refusal? {
        if model.$owner.id == buyerID { return .ownModel }
        guard model.isPubliclyReachable else { return .unavailable }
        if model.priceCents <= 0 { return .free }
        guard model.currency == currency else { return .unavailable }
        return nil
    }

    func add(modelID: UUID, buyer: Caller) async throws -> Components.Schemas.Cart {
        // An id nothing has is 404; a model that exists but is not on sale (a draft, unpublished, private,
        // deleted) is 409 `model-unavailable`, which says no more than that it cannot be bought.
        guard let model = try await ModelAccess.model(modelID, on: database) else { throw ModelAccess.notFound }
        if let refusal = try await Self.refusal(for: model, buyerID: buyer.userID, currency: services.settings.payments.currency, on: database) {
            throw refusal.problem
        }
        let count = try await CartItem.query(on: database).filter(\.$user.$id == buyer.userID).count()
        let present = try await CartItem.query(on: database).filter(\.$user.$id == buyer.userID).filter(\.$model.$id == modelID).first()
        if present == nil {
            guard count < Self.maxItems else {
                throw Problem.conflict("cart-full", "Cart full", detail: "A cart holds at most \(Self.maxItems) models.")
            }
            let sql = database.sql
            // A concurrent add of the same model is absorbed by the unique (user, model) pair.
            try await sql.raw("""
                INSERT INTO cart_items (id, user_id, model_id, price_when_added_cents, created_at)
                VALUES (\(bind: UUID.v7()), \(bind: buyer.userID), \(bind: modelID), \(bind: model.priceCents), \(bind: Date()))
                ON CONFLICT (user_id, model_id) DO NOTHING
                """).run()
        }
        return try await cart(for: buyer.userID)
    }

    func remove(modelID: UUID, buyer: Caller) async throws -> Components.Schemas.Cart {
        let deleted = try await database.sql.raw("""
            DELETE FROM cart_items WHERE user_id = \(bind: buyer.userID) AND model_id = \(bind: modelID) RETURNING id
            """).all()
        guard !deleted.isEmpty else { throw Problem.notFound("This model in your cart") }
        return try await cart(for: buyer.userID)
    }

    func clear(buyer: Caller) async throws -> Components.Schemas.Cart {
        try await CartItem.query(on: database).filter(\.$user.$id == buyer.userID).delete()
        return try await cart(for: buyer.userID)
    }

    /// A cart line as checkout sees it: the model now, and whether it can still be bought.
    struct Line {
        let item: CartItem
        let model: ModelAsset
        let refusal: Refusal?
    }

    func lines(for buyerID: UUID, on db: (any Database)? = nil) async throws -> [Line] {
        let db = db ?? database
        let items = try await CartItem.query(on: db).filter(\.$user.$id == buyerID).sort(\.$createdAt).sort(\.$id).all()
        guard !items.isEmpty else { return [] }
        let models = try await ModelAccess.models(items.map { $0.$model.id }, on: db)
        // One query for the whole cart, not one per line (issue 11: checkout and every cart view read all lines).
        let owned = try await Self.ownedModelIDs(buyerID: buyerID, among: items.map { $0.$model.id }, on: db)
        let currency = services.settings.payments.currency
        var lines: [Line] = []
        for item in items {
            // The foreign key keeps a cart's models in existence; a missing one is skipped, not a crash.
            guard let model = models[item.$model.id] else { continue }
            let refusal = Self.refusalBeforeOwnership(for: model, buyerID: buyerID, currency: currency)
                ?? (owned.contains(item.$model.id) ? .alreadyOwned : nil)
            lines.append(Line(item: item, model: model, refusal: refusal))
        }
        return lines
    }

    /// Which of `modelIDs` the buyer holds an active purchase of: `Purchase.owns` for many models in one query.
    static func ownedModelIDs(buyerID: UUID, among modelIDs: [UUID], on database: any Database) async throws -> Set<UUID> {
        guard !modelIDs.isEmpty else { return [] }
        let purchases = try await Purchase.active(of: buyerID, on: database)
            .filter(\.$model.$id ~~ Array(Set(modelIDs))).field(\.$model.$id).all()
        return Set(purchases.map { $0.$model.id })
    }

    func cart(for buyerID: UUID) async throws -> Components.Schemas.Cart {
        let lines = try await lines(for: buyerID)
        let cards = try await ModelCards.load(ids: lines.map { try $0.model.requireID() }, on: database.sql, settings: services.settings)
        let cardsByID = Dictionary(cards.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var items: [Components.Schemas.CartItem] = []
        for line in lines {
            guard let card = cardsByID[try line.model.requireID().uuidString.lowercased()] else { continue }
            items.append(.init(
                model: card, priceCents: line.model.priceCents, currency: line.model.currency,
                priceWhenAddedCents: line.item.priceWhenAddedCents, priceChanged: line.item.priceWhenAddedCents != line.model.priceCents,
                purchasable: line.refusal == nil, addedAt: line.item.createdAt ?? Date()))
        }
        return .init(
            items: items, itemCount: items.count,
            totalCents: lines.filter { $0.refusal == nil }.reduce(0) { $0 + $1.model.priceCents },
            currency: services.settings.payments.currency,
            providers: services.payments.available.map { .init(rawValue: $0.rawValue)! })
    }
}
