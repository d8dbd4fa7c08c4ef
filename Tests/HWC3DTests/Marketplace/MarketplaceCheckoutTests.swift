import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Marketplace: fees, cart and checkout")
struct MarketplaceCheckoutTests {
    @Test("The fee is rounded half up to a cent and price = fee + earning exactly")
    func feeRounding() {
        let cases: [(price: Int, bps: Int, fee: Int)] = [
            (1000, 750, 75), (100, 750, 8), (199, 750, 15), (250, 750, 19), (101, 750, 8), (1, 750, 0), (7, 750, 1),
            (2000, 750, 150), (999_999, 750, 75_000), (1234, 0, 0), (1234, 5000, 617), (3, 5000, 2),
        ]
        for (price, bps, fee) in cases {
            let split = FeeSplit(priceCents: price, feeBps: bps)
            #expect(split.feeCents == fee, "fee of \(price) at \(bps) bps")
            #expect(split.feeCents + split.earningCents == price)
        }
    }

    @Test("The cart refuses own, free, unpublished and owned models, each with its own problem type")
    func cartRules() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let paid = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1500)
            let free = try await CatalogueFixtures.model(server, owner: seller, title: "Free rock")
            let draft = try await CatalogueFixtures.model(server, owner: seller, title: "Draft", status: .draft)
            try await MarketplaceFixtures.setPrice(server, draft, 900)
            let own = try await MarketplaceFixtures.paidModel(server, owner: buyer, priceCents: 700, title: "Mine")

            #expect(try await MarketplaceFixtures.addToCart(server, buyer, own).problemType == "own-model")
            #expect(try await MarketplaceFixtures.addToCart(server, buyer, free).problemType == "model-free")
            #expect(try await MarketplaceFixtures.addToCart(server, buyer, draft).problemType == "model-unavailable")
            #expect(try await MarketplaceFixtures.addToCart(server, buyer, UUID()).status == .notFound)
            let badID = try await server.request(.POST, "/api/v1/cart/items", json: ["model_id": "nope"], token: buyer.accessToken)
            #expect(badID.status == .unprocessableEntity || badID.status == .badRequest)

            let added = try await MarketplaceFixtures.addToCart(server, buyer, paid)
            #expect(added.status == .ok)
            let again = try await MarketplaceFixtures.addToCart(server, buyer, paid)
            let cart = try again.object()
            #expect(cart["item_count"] as? Int == 1)
            #expect(cart["total_cents"] as? Int == 1500)
            #expect(cart["providers"] as? [String] == ["sandbox"])

            try await MarketplaceFixtures.buy(server, buyer, [])  // the cart already holds `paid`
            #expect(try await MarketplaceFixtures.addToCart(server, buyer, paid).problemType == "already-owned")

            let unverified = try await server.register("buyer2")
            #expect(try await MarketplaceFixtures.addToCart(server, unverified, paid).status == .forbidden)
            let anonymous = try await server.request(.POST, "/api/v1/cart/items", json: ["model_id": paid.uuidString])
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test("Remove, clear, and a price change shows in the cart")
    func cartEditing() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let a = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "A")
            let b = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 2500, title: "B")
            _ = try await MarketplaceFixtures.addToCart(server, buyer, a)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, b)
            try await MarketplaceFixtures.setPrice(server, b, 3000)
            let cart = try await server.request(.GET, "/api/v1/cart", token: buyer.accessToken).object()
            #expect(cart["total_cents"] as? Int == 4000)
            let items = try #require(cart["items"] as? [[String: Any]])
            #expect(items.compactMap { $0["price_changed"] as? Bool } == [false, true])

            let removed = try await server.request(.DELETE, "/api/v1/cart/items/\(a.uuidString.lowercased())", token: buyer.accessToken)
            #expect(try removed.object()["item_count"] as? Int == 1)
            #expect(try await server.request(.DELETE, "/api/v1/cart/items/\(a.uuidString)", token: buyer.accessToken).status == .notFound)
            let cleared = try await server.request(.DELETE, "/api/v1/cart", token: buyer.accessToken)
            #expect(try cleared.object()["item_count"] as? Int == 0)
            #expect(try await MarketplaceFixtures.checkout(server, buyer).problemType == "cart-empty")
        }
    }

    @Test("A sandbox purchase grants the download, empties the cart, writes the ledger and sends both emails")
    func sandboxPurchase() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1999, title: "Brass lantern")
            let before = try await server.request(.GET, "/api/v1/models/\(model.uuidString.lowercased())/download", token: buyer.accessToken)
            #expect(before.status == .paymentRequired)

            _ = try await MarketplaceFixtures.addToCart(server, buyer, model)
            let checkout = try await MarketplaceFixtures.checkout(server, buyer, expectedTotal: 1999)
            #expect(checkout.status == .created)
            let body = try checkout.object()
            let payment = try #require(body["payment"] as? [String: Any])
            #expect(payment["provider"] as? String == "sandbox")
            #expect(payment["test_mode"] as? Bool == true)
            #expect((payment["capture_url"] as? String)?.hasSuffix("/capture") == true)
            let transaction = try #require(body["transaction"] as? [String: Any])
            #expect(transaction["status"] as? String == "pending")
            #expect(transaction["amount_cents"] as? Int == 1999)
            let id = try #require(transaction["id"] as? String)
            // Nothing is granted before the capture.
            #expect(try await server.request(.GET, "/api/v1/models/\(model.uuidString.lowercased())/download", token: buyer.accessToken).status == .paymentRequired)

            let capture = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(capture.status == .ok)
            #expect(try capture.object()["status"] as? String == "succeeded")

            let after = try await server.request(.GET, "/api/v1/models/\(model.uuidString.lowercased())/download", token: buyer.accessToken)
            #expect(after.status == .ok)
            let cart = try await server.request(.GET, "/api/v1/cart", token: buyer.accessToken).object()
            #expect(cart["item_count"] as? Int == 0)
            let library = try await server.request(.GET, "/api/v1/purchases", token: buyer.accessToken).object()
            let purchases = try #require(library["items"] as? [[String: Any]])
            #expect(purchases.count == 1)
            #expect(purchases.first?["status"] as? String == "active")
            #expect(purchases.first?["test_mode"] as? Bool == true)

            // 1999 at 7.5%: the fee is 149.925, so 150; the seller earns 1849.
            let entries = try await LedgerEntry.query(on: server.app.db).all()
            #expect(entries.filter { $0.kind == "buyer_payment" }.map(\.amountCents) == [-1999])
            #expect(entries.filter { $0.kind == "platform_fee" }.map(\.amountCents) == [150])
            #expect(entries.filter { $0.kind == "seller_earning" }.map(\.amountCents) == [1849])
            try await MarketplaceFixtures.expectLedgerHolds(server)

            let earnings = try await server.request(.GET, "/api/v1/earnings", token: seller.accessToken).object()
            #expect(earnings["pending_cents"] as? Int == 1849)
            #expect(earnings["available_cents"] as? Int == 0)
            let byModel = try #require(earnings["by_model"] as? [[String: Any]])
            #expect(byModel.first?["gross_cents"] as? Int == 1999)
            #expect(byModel.first?["net_cents"] as? Int == 1849)
            let sales = try await server.request(.GET, "/api/v1/sales", token: seller.accessToken).object()
            let sale = try #require((sales["items"] as? [[String: Any]])?.first)
            #expect(sale["fee_cents"] as? Int == 150)
            #expect(sale["earning_cents"] as? Int == 1849)
            let buyerSales = try await server.request(.GET, "/api/v1/sales", token: buyer.accessToken).object()
            #expect((buyerSales["items"] as? [Any])?.isEmpty == true)

            try await server.runJobs()
            let mails = try server.sentEmails()
            #expect(mails.contains { $0.contains(buyer.email) && $0.contains("[TEST] Your HWC3D receipt") && $0.contains("19.99 USD") })
            #expect(mails.contains { $0.contains(seller.email) && $0.contains("You made a sale") && $0.contains("18.49 USD") })
            #expect(try await CatalogueFixtures.row(server, model).salesCount == 1)
        }
    }

    @Test("The same Idempotency-Key answers the first answer; another body is 422; none is 400")
    func idempotency() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1200)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, model)
            let first = try await MarketplaceFixtures.checkout(server, buyer, key: "key-1")
            let second = try await MarketplaceFixtures.checkout(server, buyer, key: "key-1")
            #expect(first.status == .created)
            #expect(second.status == .created)
            let firstID = (try first.object()["transaction"] as? [String: Any])?["id"] as? String
            #expect(firstID != nil)
            #expect((try second.object()["transaction"] as? [String: Any])?["id"] as? String == firstID)

            let otherBody = try await MarketplaceFixtures.checkout(server, buyer, key: "key-1", expectedTotal: 1200)
            #expect(otherBody.status == .unprocessableEntity)
            #expect(otherBody.problemType == "idempotency-key-reused")
            let missing = try await server.request(.POST, "/api/v1/checkout", json: ["provider": "sandbox"], token: buyer.accessToken)
            #expect(missing.status == .badRequest)
            let badProvider = try await MarketplaceFixtures.checkout(server, buyer, provider: "stripe")
            #expect(badProvider.status == .unprocessableEntity)

            // A new key for the same cart finds the open checkout instead of opening a second payment.
            let sameCart = try await MarketplaceFixtures.checkout(server, buyer, key: "key-2")
            #expect(sameCart.status == .ok)
            #expect((try sameCart.object()["transaction"] as? [String: Any])?["id"] as? String == firstID)
            #expect(try await PaymentTransaction.query(on: server.app.db).count() == 1)
        }
    }

    @Test("A retry after a crash between the steps resumes with the same transaction")
    func resumeAfterCrash() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1200)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, model)
            let first = try await MarketplaceFixtures.checkout(server, buyer, key: "crash-key")
            let id = try #require((try first.object()["transaction"] as? [String: Any])?["id"] as? String)
            // Simulate a crash after the transaction was created but before the payment and the answer were stored.
            let sql = server.app.db as! any SQLDatabase
            try await sql.raw("UPDATE idempotency_keys SET response_status = NULL, response_body = NULL, locked_until = \(bind: Date(timeIntervalSince1970: 0))").run()
            try await sql.raw("UPDATE transactions SET provider_reference = NULL").run()
            let retry = try await MarketplaceFixtures.checkout(server, buyer, key: "crash-key")
            #expect(retry.status == .created, "\(retry.text)")
            #expect((try retry.object()["transaction"] as? [String: Any])?["id"] as? String == id)
            #expect(try await PaymentTransaction.query(on: server.app.db).count() == 1)
            #expect(try await PaymentTransaction.query(on: server.app.db).first()?.providerReference != nil)

            // While a first request holds the key, a second one is told to wait.
            try await sql.raw("UPDATE idempotency_keys SET response_status = NULL, response_body = NULL, locked_until = \(bind: Date().addingTimeInterval(60))").run()
            let busy = try await MarketplaceFixtures.checkout(server, buyer, key: "crash-key")
            #expect(busy.status == .conflict)
            #expect(busy.problemType == "idempotency-key-in-use")
        }
    }

    @Test("Concurrent checkouts of the same cart create one transaction and one payment")
    func concurrentCheckouts() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1200)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, model)
            let statuses = try await withThrowingTaskGroup(of: (HTTPStatus, String?).self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let response = try await MarketplaceFixtures.checkout(server, buyer, key: "parallel-\(index)")
                        return (response.status, (try? response.object()["transaction"] as? [String: Any])?["id"] as? String)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.allSatisfy { $0.0 == .created || $0.0 == .ok }, "\(statuses)")
            #expect(Set(statuses.compactMap(\.1)).count == 1)
            #expect(try await PaymentTransaction.query(on: server.app.db).count() == 1)
        }
    }

    @Test("Prices are captured at checkout: a changed total is refused, and a later change alters nothing")
    func priceCapture() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, model)
            try await MarketplaceFixtures.setPrice(server, model, 1500)
            let stale = try await MarketplaceFixtures.checkout(server, buyer, expectedTotal: 1000)
            #expect(stale.status == .conflict)
            #expect(stale.problemType == "price-changed")
            #expect(try await PaymentTransaction.query(on: server.app.db).count() == 0)

            let checkout = try await MarketplaceFixtures.checkout(server, buyer, expectedTotal: 1500)
            let id = try #require((try checkout.object()["transaction"] as? [String: Any])?["id"] as? String)
            try await MarketplaceFixtures.setPrice(server, model, 9900)
            let capture = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(try capture.object()["amount_cents"] as? Int == 1500)
            #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE kind = 'buyer_payment'") == -1500)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    @Test("Capturing someone else's transaction is 404; paying twice is 409 and changes nothing")
    func captureRules() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let other = try await server.register("other1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, model)
            let checkout = try await MarketplaceFixtures.checkout(server, buyer)
            let id = try #require((try checkout.object()["transaction"] as? [String: Any])?["id"] as? String)

            #expect(try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: other.accessToken).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/transactions/\(id)", token: other.accessToken).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/checkout/not-a-uuid/capture", token: buyer.accessToken).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/checkout/\(id)/capture").status == .unauthorized)

            // Three captures at once (a double click and a retry): every answer is the paid transaction, the same
            // body each time, and the purchase is granted once.
            let captures = try await withThrowingTaskGroup(of: TestResponse.self) { group in
                for _ in 0..<3 {
                    group.addTask { try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(captures.map(\.status) == [.ok, .ok, .ok], "\(captures.map(\.text))")
            let bodies = try captures.map { try $0.object() }
            #expect(bodies.allSatisfy { $0["status"] as? String == "succeeded" && $0["id"] as? String == id })
            let twice = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(twice.status == .ok)
            #expect(try twice.object()["status"] as? String == "succeeded")
            #expect(try await LedgerEntry.query(on: server.app.db).count() == 3)
            #expect(try await Purchase.query(on: server.app.db).count() == 1)
            let history = try await server.request(.GET, "/api/v1/transactions", token: buyer.accessToken).object()
            #expect((history["items"] as? [Any])?.count == 1)
            #expect((try await server.request(.GET, "/api/v1/transactions", token: other.accessToken).object()["items"] as? [Any])?.count == 0)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    @Test("A newer checkout with a different cart replaces the open one, which can no longer be captured")
    func supersededCheckout() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let a = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "A")
            let b = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 2000, title: "B")
            _ = try await MarketplaceFixtures.addToCart(server, buyer, a)
            let first = try await MarketplaceFixtures.checkout(server, buyer)
            let firstID = try #require((try first.object()["transaction"] as? [String: Any])?["id"] as? String)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, b)
            let second = try await MarketplaceFixtures.checkout(server, buyer)
            #expect(second.status == .created)
            #expect((try second.object()["transaction"] as? [String: Any])?["amount_cents"] as? Int == 3000)
            let stale = try await server.request(.POST, "/api/v1/checkout/\(firstID)/capture", token: buyer.accessToken)
            #expect(stale.problemType == "transaction-not-pending")
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }
}
