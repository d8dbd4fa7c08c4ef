import Fluent
import Foundation
import HWC3DAPI
import Vapor

/// Marketplace routes for buyers and sellers: cart, checkout, purchases, refunds, sales, earnings, payouts.
extension APIHandler {
    func getCart(_ input: Operations.GetCart.Input) async throws -> Operations.GetCart.Output {
        let req = try request
        let caller = try signedIn
        return .ok(.init(body: .json(try await CartService(services: services, database: req.reads).cart(for: caller.userID))))
    }

    func clearCart(_ input: Operations.ClearCart.Input) async throws -> Operations.ClearCart.Output {
        let req = try request
        let caller = try signedIn
        return .ok(.init(body: .json(try await CartService(services: services, database: req.db).clear(buyer: caller))))
    }

    func addCartItem(_ input: Operations.AddCartItem.Input) async throws -> Operations.AddCartItem.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        guard let modelID = UUID(uuidString: body.modelId) else { throw Problem.validation(field: "model_id", "must be a model id (UUID)") }
        return .ok(.init(body: .json(try await CartService(services: services, database: req.db).add(modelID: modelID, buyer: caller))))
    }

    func removeCartItem(_ input: Operations.RemoveCartItem.Input) async throws -> Operations.RemoveCartItem.Output {
        let req = try request
        let caller = try signedIn
        let modelID = try Self.uuid(input.path.modelId, notFound: "This model in your cart")
        return .ok(.init(body: .json(try await CartService(services: services, database: req.db).remove(modelID: modelID, buyer: caller))))
    }

    func checkout(_ input: Operations.Checkout.Input) async throws -> Operations.Checkout.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let answer = try await CheckoutService(services: services, database: req.db).checkout(
            .init(provider: body.provider.rawValue, expectedTotalCents: body.expectedTotalCents),
            idempotencyKey: input.headers.idempotencyKey, buyer: caller)
        return answer.status == 201 ? .created(.init(body: .json(answer.body))) : .ok(.init(body: .json(answer.body)))
    }

    func captureCheckout(_ input: Operations.CaptureCheckout.Input) async throws -> Operations.CaptureCheckout.Output {
        let req = try request
        let caller = try signedIn
        let id = try Self.uuid(input.path.transactionId, notFound: "The transaction")
        let transaction = try await PaymentCapture(services: services, database: req.db).capture(transactionID: id, buyer: caller)
        return .ok(.init(body: .json(try await TransactionViews.transaction(transaction, on: req.db, settings: services.settings))))
    }

    func listTransactions(_ input: Operations.ListTransactions.Input) async throws -> Operations.ListTransactions.Output {
        let req = try request
        let caller = try signedIn
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let query = PaymentTransaction.query(on: req.reads).filter(\.$buyer.$id == caller.userID)
        let total = try await query.count()
        let rows = try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .range(page.rows).all()
        return .ok(.init(body: .json(.init(
            items: try await TransactionViews.transactions(rows, on: req.reads, settings: services.settings), meta: page.meta(total: total)))))
    }

    func getTransaction(_ input: Operations.GetTransaction.Input) async throws -> Operations.GetTransaction.Output {
        let req = try request
        let caller = try signedIn
        let id = try Self.uuid(input.path.id, notFound: "The transaction")
        guard let transaction = try await TransactionRows.transaction(id, on: req.reads), transaction.$buyer.id == caller.userID else {
            throw Problem.notFound("The transaction")
        }
        return .ok(.init(body: .json(try await TransactionViews.transaction(transaction, on: req.reads, settings: services.settings))))
    }

    func listPurchases(_ input: Operations.ListPurchases.Input) async throws -> Operations.ListPurchases.Output {
        let req = try request
        let caller = try signedIn
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let (items, total) = try await PurchaseReads(database: req.reads, settings: services.settings).page(buyer: caller.user, page: page)
        return .ok(.init(body: .json(.init(items: items, meta: page.meta(total: total)))))
    }

    func getPurchase(_ input: Operations.GetPurchase.Input) async throws -> Operations.GetPurchase.Output {
        let req = try request
        let caller = try signedIn
        let id = try Self.uuid(input.path.id, notFound: "The purchase")
        guard let purchase = try await PurchaseReads(database: req.reads, settings: services.settings).purchase(id, buyer: caller.user) else {
            throw Problem.notFound("The purchase")
        }
        return .ok(.init(body: .json(purchase)))
    }

    func requestRefund(_ input: Operations.RequestRefund.Input) async throws -> Operations.RequestRefund.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let purchase = try await ownPurchase(input.path.id, caller: caller, on: req.db)
        let created = try await RefundService(services: services, database: req.db).request(purchaseID: purchase.requireID(), reason: body.reason, buyer: caller)
        return .created(.init(body: .json(try await TransactionViews.refundRequests([created], on: req.db, settings: services.settings)[0])))
    }

    func listSales(_ input: Operations.ListSales.Input) async throws -> Operations.ListSales.Output {
        let req = try request
        let caller = try signedIn
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        return .ok(.init(body: .json(try await SellerReads(services: services, database: req.reads).sales(sellerID: caller.userID, page: page))))
    }

    func getEarnings(_ input: Operations.GetEarnings.Input) async throws -> Operations.GetEarnings.Output {
        let req = try request
        let caller = try signedIn
        return .ok(.init(body: .json(try await SellerReads(services: services, database: req.reads).earnings(sellerID: caller.userID))))
    }

    func listPayouts(_ input: Operations.ListPayouts.Input) async throws -> Operations.ListPayouts.Output {
        let req = try request
        let caller = try signedIn
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let query = Payout.query(on: req.reads).filter(\.$seller.$id == caller.userID)
        let total = try await query.count()
        let rows = try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .range(page.rows).all()
        return .ok(.init(body: .json(.init(items: rows.map(TransactionViews.payout), meta: page.meta(total: total)))))
    }

    func requestPayout(_ input: Operations.RequestPayout.Input) async throws -> Operations.RequestPayout.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let payout = try await PayoutService(services: services, database: req.db).request(amountCents: body.amountCents, seller: caller)
        return .created(.init(body: .json(TransactionViews.payout(payout))))
    }

    func setPayoutMethod(_ input: Operations.SetPayoutMethod.Input) async throws -> Operations.SetPayoutMethod.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let method = try await PayoutService(services: services, database: req.db).setMethod(
            type: body._type.rawValue, stripeAccountID: body.stripeAccountId, paypalEmail: body.paypalEmail, seller: caller)
        return .ok(.init(body: .json(TransactionViews.payoutMethod(method))))
    }

    private func ownPurchase(_ rawID: String, caller: Caller, on database: any Database) async throws -> Purchase {
        let id = try Self.uuid(rawID, notFound: "The purchase")
        guard let purchase = try await Purchase.find(id, on: database), purchase.$buyer.id == caller.userID else {
            throw Problem.notFound("The purchase")
        }
        return purchase
    }

    /// A path id that is not a UUID names nothing: 404, like an unknown one.
    static func uuid(_ raw: String, notFound what: String) throws -> UUID {
        guard let id = UUID(uuidString: raw) else { throw Problem.notFound(what) }
        return id
    }
}
