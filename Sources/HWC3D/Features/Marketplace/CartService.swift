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

    /// The rules that need no query; whether the buyer owns the model comes with the statement that read it.
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
        // One statement reads the model with everything the decision needs: whether the buyer owns it, how full
        // the cart is and whether the model is in it already (issue 11: this was five Fluent round trips).
        guard let row = try await database.preparedFirst("""
            SELECT \(ModelRow.columns("m")), \(PurchaseSQL.isOwned(by: buyer.userID, modelIDColumn: "m.id")) AS owned,
                   (SELECT COUNT(*) FROM cart_items WHERE user_id = \(bind: buyer.userID)) AS cart_count,
                   EXISTS (SELECT 1 FROM cart_items WHERE user_id = \(bind: buyer.userID) AND model_id = m.id) AS in_cart
            \(ListingSQL.from(alias: "m")) WHERE m.id = \(bind: modelID)
            """)
        else { throw ModelAccess.notFound }
        let model = try ModelRow.model(from: row)
        let currency = services.settings.payments.currency
        let owned = try row.decode(column: "owned", as: Bool.self)
        if let refusal = Self.refusalBeforeOwnership(for: model, buyerID: buyer.userID, currency: currency) ?? (owned ? .alreadyOwned : nil) {
            throw refusal.problem
        }
        if try !row.decode(column: "in_cart", as: Bool.self) {
            guard try row.decode(column: "cart_count", as: Int.self) < Self.maxItems else {
                throw Problem.conflict("cart-full", "Cart full", detail: "A cart holds at most \(Self.maxItems) models.")
            }
            // A concurrent add of the same model is absorbed by the unique (user, model) pair.
            try await database.preparedRun("""
                INSERT INTO cart_items (id, user_id, model_id, price_when_added_cents, created_at)
                VALUES (\(bind: UUID.v7()), \(bind: buyer.userID), \(bind: modelID), \(bind: model.priceCents), \(bind: Date()))
                ON CONFLICT (user_id, model_id) DO NOTHING
                """)
        }
        return try await cart(for: buyer.userID)
    }

    func remove(modelID: UUID, buyer: Caller) async throws -> Components.Schemas.Cart {
        let deleted = try await database.prepared("""
            DELETE FROM cart_items WHERE user_id = \(bind: buyer.userID) AND model_id = \(bind: modelID) RETURNING id
            """)
        guard !deleted.isEmpty else { throw Problem.notFound("This model in your cart") }
        return try await cart(for: buyer.userID)
    }

    func clear(buyer: Caller) async throws -> Components.Schemas.Cart {
        try await CartItem.query(on: database).filter(\.$user.$id == buyer.userID).delete()
        return try await cart(for: buyer.userID)
    }

    /// A cart line as checkout sees it: the model now (read for reading only, see `ModelRow`), and whether it
    /// can still be bought.
    struct Line {
        let priceWhenAddedCents: Int
        let addedAt: Date
        let model: ModelAsset
        let refusal: Refusal?
    }

    /// The cart's lines in the order added, each with its model and whether the buyer owns it already, in one
    /// statement (issue 11: every cart view and checkout read the cart, its models and the purchases in turn).
    func lines(for buyerID: UUID, on db: (any Database)? = nil) async throws -> [Line] {
        let db = db ?? database
        let rows = try await db.prepared("""
            SELECT \(ModelRow.columns("m")), ci.price_when_added_cents AS ci_price_when_added_cents,
                   ci.created_at AS ci_created_at, \(PurchaseSQL.isOwned(by: buyerID, modelIDColumn: "m.id")) AS owned
            FROM cart_items ci \(ListingSQL.join(alias: "m", on: "ci.model_id"))
            WHERE ci.user_id = \(bind: buyerID)
            ORDER BY ci.created_at, ci.id
            """)
        let currency = services.settings.payments.currency
        return try rows.map { row in
            let model = try ModelRow.model(from: row)
            let owned = try row.decode(column: "owned", as: Bool.self)
            let refusal = Self.refusalBeforeOwnership(for: model, buyerID: buyerID, currency: currency) ?? (owned ? .alreadyOwned : nil)
            return Line(
                priceWhenAddedCents: try row.decode(column: "ci_price_when_added_cents", as: Int.self),
                addedAt: try row.decode(column: "ci_created_at", as: Date?.self) ?? Date(), model: model, refusal: refusal)
        }
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
                priceWhenAddedCents: line.priceWhenAddedCents, priceChanged: line.priceWhenAddedCents != line.model.priceCents,
                purchasable: line.refusal == nil, addedAt: line.addedAt))
        }
        return .init(
            items: items, itemCount: items.count,
            totalCents: lines.filter { $0.refusal == nil }.reduce(0) { $0 + $1.model.priceCents },
            currency: services.settings.payments.currency,
            providers: services.payments.available.map { .init(rawValue: $0.rawValue)! })
    }
}
