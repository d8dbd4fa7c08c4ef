import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Marketplace: refunds, payouts and the admin's finance views")
struct MarketplaceMoneyTests {
    @Test("A refund approved by finance returns the price, revokes access, reverses the ledger and emails both")
    func refundApproved() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 2500)
            let other = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "Other")
            try await MarketplaceFixtures.buy(server, buyer, [model, other])
            let purchases = try await server.request(.GET, "/api/v1/purchases", token: buyer.accessToken).object()["items"] as? [[String: Any]] ?? []
            let purchase = try #require(purchases.first { ($0["model"] as? [String: Any])?["id"] as? String == model.uuidString.lowercased() })
            let purchaseID = try #require(purchase["id"] as? String)

            let short = try await server.request(.POST, "/api/v1/purchases/\(purchaseID)/refund-request", json: ["reason": "bad"], token: buyer.accessToken)
            #expect(short.status == .unprocessableEntity)
            let stranger = try await server.register("stranger", verified: true)
            #expect(try await server.request(.POST, "/api/v1/purchases/\(purchaseID)/refund-request", json: ["reason": "Not what I expected at all"],
                                             token: stranger.accessToken).status == .notFound)
            let requested = try await server.request(.POST, "/api/v1/purchases/\(purchaseID)/refund-request",
                                                     json: ["reason": "The textures are missing from the file."], token: buyer.accessToken)
            #expect(requested.status == .created)
            let requestID = try #require(try requested.object()["id"] as? String)
            let duplicate = try await server.request(.POST, "/api/v1/purchases/\(purchaseID)/refund-request",
                                                     json: ["reason": "Asking a second time, please."], token: buyer.accessToken)
            #expect(duplicate.problemType == "refund-already-requested")

            let moderator = try await CatalogueFixtures.admin(server, "mod1", role: .moderator)
            #expect(try await server.request(.POST, "/api/v1/admin/refunds/\(requestID)/approve", json: [:], token: moderator.adminToken).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/admin/refunds", token: moderator.adminToken).status == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/admin/refunds/\(requestID)/approve", json: [:], token: buyer.accessToken).status == .forbidden)
            let finance = try await CatalogueFixtures.admin(server, "fin1", role: .finance)
            let queue = try await server.request(.GET, "/api/v1/admin/refunds?status=pending", token: finance.adminToken).object()
            #expect((queue["items"] as? [[String: Any]])?.first?["id"] as? String == requestID)

            let approved = try await server.request(.POST, "/api/v1/admin/refunds/\(requestID)/approve", json: ["note": "Sorry about that"], token: finance.adminToken)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(try approved.object()["status"] as? String == "approved")
            let again = try await server.request(.POST, "/api/v1/admin/refunds/\(requestID)/approve", json: [:], token: finance.adminToken)
            #expect(again.status == .conflict)

            #expect(try await server.request(.GET, "/api/v1/models/\(model.uuidString.lowercased())/download", token: buyer.accessToken).status == .paymentRequired)
            #expect(try await server.request(.GET, "/api/v1/models/\(other.uuidString.lowercased())/download", token: buyer.accessToken).status == .ok)
            let transaction = try #require(try await PaymentTransaction.query(on: server.app.db).first())
            #expect(transaction.status == "partially_refunded")
            #expect(transaction.refundedCents == 2500)
            // 2500: fee 188 (187.5 rounded up), earning 2312, both reversed; 1000: fee 75, earning 925 remain.
            #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE account = 'seller_balance'") == 925)
            #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE account = 'platform_revenue'") == 75)
            #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE account = 'buyer_funds'") == -1000)
            try await MarketplaceFixtures.expectLedgerHolds(server)
            #expect(try await CatalogueFixtures.count(server, "admin_actions WHERE action = 'refund.approve'") == 1)

            try await server.runJobs()
            let mails = try server.sentEmails()
            #expect(mails.contains { $0.contains(buyer.email) && $0.contains("refund") && $0.contains("25.00 USD") })
            #expect(mails.contains { $0.contains(seller.email) && $0.contains("was refunded") })

            // The purchase is refunded now: no second request, no second refund.
            let afterRefund = try await server.request(.POST, "/api/v1/purchases/\(purchaseID)/refund-request",
                                                       json: ["reason": "Trying to be refunded twice."], token: buyer.accessToken)
            #expect(afterRefund.problemType == "already-refunded")
        }
    }

    @Test("Refunds outside the window are refused; a rejection needs a note and keeps access")
    func refundWindowAndRejection() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let old = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "Old")
            let recent = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "Recent")
            let oldTransaction = try await MarketplaceFixtures.buy(server, buyer, [old])
            try await MarketplaceFixtures.age(server, transactionID: oldTransaction, days: 15)
            try await MarketplaceFixtures.buy(server, buyer, [recent])
            let purchases = try await Purchase.query(on: server.app.db).all()
            let oldPurchase = try #require(purchases.first { $0.$model.id == old })
            let recentPurchase = try #require(purchases.first { $0.$model.id == recent })

            let late = try await server.request(.POST, "/api/v1/purchases/\(oldPurchase.id!.uuidString)/refund-request",
                                                json: ["reason": "I changed my mind about it."], token: buyer.accessToken)
            #expect(late.problemType == "refund-window-closed")

            let requested = try await server.request(.POST, "/api/v1/purchases/\(recentPurchase.id!.uuidString)/refund-request",
                                                     json: ["reason": "I changed my mind about it."], token: buyer.accessToken)
            let requestID = try #require(try requested.object()["id"] as? String)
            let finance = try await CatalogueFixtures.admin(server, "fin1", role: .finance)
            let noNote = try await server.request(.POST, "/api/v1/admin/refunds/\(requestID)/reject", json: [:], token: finance.adminToken)
            #expect(noNote.status == .unprocessableEntity)
            let rejected = try await server.request(.POST, "/api/v1/admin/refunds/\(requestID)/reject",
                                                    json: ["note": "The files match the description."], token: finance.adminToken)
            #expect(try rejected.object()["status"] as? String == "rejected")
            #expect(try await server.request(.GET, "/api/v1/models/\(recent.uuidString.lowercased())/download", token: buyer.accessToken).status == .ok)
            #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE kind = 'refund_reversal'") == 0)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    @Test("Payouts: method, minimum, holding period, reservation, approval and rejection")
    func payouts() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let a = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 5000, title: "A")
            let b = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 3000, title: "B")
            let first = try await MarketplaceFixtures.buy(server, buyer, [a])

            let noMethod = try await server.request(.POST, "/api/v1/payouts", json: [:], token: seller.accessToken)
            #expect(noMethod.problemType == "payout-method-required")
            let badMethod = try await server.request(.PUT, "/api/v1/payouts/method", json: ["type": "stripe_connect", "stripe_account_id": "bank-123"], token: seller.accessToken)
            #expect(badMethod.status == .unprocessableEntity)
            let method = try await server.request(.PUT, "/api/v1/payouts/method", json: ["type": "paypal", "paypal_email": "Seller1@Example.com"], token: seller.accessToken)
            #expect(try method.object()["paypal_email"] as? String == "seller1@example.com")

            // Still in the holding period: nothing is available.
            let early = try await server.request(.POST, "/api/v1/payouts", json: [:], token: seller.accessToken)
            #expect(early.status == .unprocessableEntity)
            try await MarketplaceFixtures.age(server, transactionID: first, days: 15)
            try await MarketplaceFixtures.buy(server, buyer, [b])
            let earnings = try await server.request(.GET, "/api/v1/earnings", token: seller.accessToken).object()
            #expect(earnings["available_cents"] as? Int == 4625)  // 5000 - 375
            #expect(earnings["pending_cents"] as? Int == 2775)  // 3000 - 225

            let tooMuch = try await server.request(.POST, "/api/v1/payouts", json: ["amount_cents": 4626], token: seller.accessToken)
            #expect(tooMuch.problemType == "insufficient-balance")
            let belowMinimum = try await server.request(.POST, "/api/v1/payouts", json: ["amount_cents": 1999], token: seller.accessToken)
            #expect(belowMinimum.status == .unprocessableEntity)
            let negative = try await server.request(.POST, "/api/v1/payouts", json: ["amount_cents": -5], token: seller.accessToken)
            #expect(negative.status == .unprocessableEntity)

            let requested = try await server.request(.POST, "/api/v1/payouts", json: ["amount_cents": 2500], token: seller.accessToken)
            #expect(requested.status == .created)
            let payoutID = try #require(try requested.object()["id"] as? String)
            // The reserved 2500 cannot be requested again.
            let twice = try await server.request(.POST, "/api/v1/payouts", json: ["amount_cents": 2500], token: seller.accessToken)
            #expect(twice.problemType == "insufficient-balance")
            let reserved = try await server.request(.GET, "/api/v1/earnings", token: seller.accessToken).object()
            #expect(reserved["available_cents"] as? Int == 2125)
            #expect(reserved["reserved_cents"] as? Int == 2500)

            let finance = try await CatalogueFixtures.admin(server, "fin1", role: .finance)
            let approved = try await server.request(.POST, "/api/v1/admin/payouts/\(payoutID)/approve", json: [:], token: finance.adminToken)
            #expect(approved.status == .ok, "\(approved.text)")
            let payout = try #require(try approved.object()["payout"] as? [String: Any])
            #expect(payout["status"] as? String == "paid")
            #expect(payout["provider"] as? String == "sandbox")
            #expect(try await server.request(.POST, "/api/v1/admin/payouts/\(payoutID)/approve", json: [:], token: finance.adminToken).status == .conflict)

            let second = try await server.request(.POST, "/api/v1/payouts", json: [:], token: seller.accessToken)
            #expect(second.status == .created)
            #expect(try second.object()["amount_cents"] as? Int == 2125)
            let secondID = try #require(try second.object()["id"] as? String)
            let rejected = try await server.request(.POST, "/api/v1/admin/payouts/\(secondID)/reject", json: ["note": "Verify your PayPal account first."], token: finance.adminToken)
            #expect(rejected.status == .ok)
            let final = try await server.request(.GET, "/api/v1/earnings", token: seller.accessToken).object()
            #expect(final["available_cents"] as? Int == 2125)
            #expect(final["paid_out_cents"] as? Int == 2500)
            #expect(final["reserved_cents"] as? Int == 0)
            let mine = try await server.request(.GET, "/api/v1/payouts", token: seller.accessToken).object()
            #expect((mine["items"] as? [[String: Any]])?.compactMap { $0["status"] as? String } == ["rejected", "paid"])
            #expect((try await server.request(.GET, "/api/v1/payouts", token: buyer.accessToken).object()["items"] as? [Any])?.isEmpty == true)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    @Test("Concurrent payout requests never reserve more than the available balance")
    func concurrentPayouts() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 10000)
            let transaction = try await MarketplaceFixtures.buy(server, buyer, [model])
            try await MarketplaceFixtures.age(server, transactionID: transaction, days: 15)
            _ = try await server.request(.PUT, "/api/v1/payouts/method", json: ["type": "stripe_connect", "stripe_account_id": "acct_1A2b3C"], token: seller.accessToken)
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        try await server.request(.POST, "/api/v1/payouts", json: ["amount_cents": 3000], token: seller.accessToken).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // 9250 available: three payouts of 3000 fit, the others are refused.
            #expect(statuses.filter { $0 == .created }.count == 3, "\(statuses)")
            #expect(statuses.filter { $0 == .conflict }.count == 3)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    @Test("Admin finance views: transactions with filters, detail, revenue, settings, ledger check")
    func adminViews() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 4000)
            let id = try await MarketplaceFixtures.buy(server, buyer, [model])
            let finance = try await CatalogueFixtures.admin(server, "fin1", role: .finance)
            let list = try await server.request(.GET, "/api/v1/admin/transactions?status=succeeded&provider=sandbox&buyer=buyer1", token: finance.adminToken).object()
            #expect((list["items"] as? [[String: Any]])?.count == 1)
            let none = try await server.request(.GET, "/api/v1/admin/transactions?provider=stripe", token: finance.adminToken).object()
            #expect((none["items"] as? [Any])?.isEmpty == true)
            #expect(try await server.request(.GET, "/api/v1/admin/transactions?status=bogus", token: finance.adminToken).status == .unprocessableEntity)

            let detail = try await server.request(.GET, "/api/v1/admin/transactions/\(id)", token: finance.adminToken).object()
            #expect((detail["ledger"] as? [Any])?.count == 3)
            #expect(((detail["sold_items"] as? [[String: Any]])?.first?["fee_cents"]) as? Int == 300)

            let revenue = try await server.request(.GET, "/api/v1/admin/revenue?test_mode=true", token: finance.adminToken).object()
            let totals = try #require(revenue["totals"] as? [String: Any])
            #expect(totals["gross_cents"] as? Int == 4000)
            #expect(totals["fees_cents"] as? Int == 300)
            #expect(totals["net_cents"] as? Int == 300)
            #expect((revenue["rows"] as? [Any])?.count == 30)
            let real = try await server.request(.GET, "/api/v1/admin/revenue?granularity=month", token: finance.adminToken).object()
            #expect((real["totals"] as? [String: Any])?["gross_cents"] as? Int == 0)
            #expect(try await server.request(.GET, "/api/v1/admin/revenue?from=2020-01-01&to=2026-01-01", token: finance.adminToken).status == .unprocessableEntity)

            let check = try await server.request(.GET, "/api/v1/admin/ledger/check", token: finance.adminToken).object()
            #expect(check["ok"] as? Bool == true)
            #expect(check["entries_checked"] as? Int == 3)

            // Settings need settings.write, which finance does not hold.
            #expect(try await server.request(.GET, "/api/v1/admin/settings", token: finance.adminToken).status == .forbidden)
            let root = try await CatalogueFixtures.admin(server, "root1", role: .superAdmin)
            let settings = try await server.request(.GET, "/api/v1/admin/settings", token: root.adminToken).object()
            #expect(settings["platform_fee_bps"] as? Int == 750)
            let invalid = try await server.request(.PATCH, "/api/v1/admin/settings", json: ["platform_fee_bps": 90000], token: root.adminToken)
            #expect(invalid.status == .unprocessableEntity)
            let changed = try await server.request(.PATCH, "/api/v1/admin/settings", json: ["platform_fee_bps": 1000, "holding_period_days": 0], token: root.adminToken)
            #expect(try changed.object()["platform_fee_bps"] as? Int == 1000)
            #expect(try await CatalogueFixtures.count(server, "admin_actions WHERE action = 'settings.update'") == 1)

            // The new fee applies to new checkouts only; the old sale keeps its 300.
            let next = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 4000, title: "Next")
            try await MarketplaceFixtures.buy(server, buyer, [next])
            let fees = try await TransactionItem.query(on: server.app.db).all().map(\.feeCents).sorted()
            #expect(fees == [300, 400])
            let earnings = try await server.request(.GET, "/api/v1/earnings", token: seller.accessToken).object()
            #expect(earnings["available_cents"] as? Int == 3600)  // no holding period for the second sale
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    @Test("A model taken down ends access; one archived by its owner stays in the buyer's library")
    func accessAfterModelChanges() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let archived = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "Archived")
            let removed = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "Removed")
            try await MarketplaceFixtures.buy(server, buyer, [archived, removed])
            try await CatalogueFixtures.setStatus(server, archived, .archived)
            try await CatalogueFixtures.setStatus(server, removed, .takenDown)
            #expect(try await server.request(.GET, "/api/v1/models/\(archived.uuidString.lowercased())/download", token: buyer.accessToken).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/models/\(removed.uuidString.lowercased())/download", token: buyer.accessToken).status == .notFound)
            let library = try await server.request(.GET, "/api/v1/purchases", token: buyer.accessToken).object()
            #expect((library["items"] as? [Any])?.count == 2)
        }
    }
}
