import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// The buyer's library, `GET /purchases` and `GET /purchases/{id}`, read in one statement (`PurchaseReads`): every
/// field of a purchase, newest first, paged with a true total, the latest refund request, a model that has since
/// gone, and nobody else's purchases.
@Suite("Library: the buyer's purchases")
struct LibraryTests {
    @Test("each purchase with its model, transaction, refund window and latest refund request, newest first, paged")
    func libraryPage() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let other = try await server.register("buyer2", verified: true)
            let lantern = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "Brass lantern")
            let chair = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 2500, title: "Oak chair")
            let table = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 700, title: "Pine table")
            let first = try await MarketplaceFixtures.buy(server, buyer, [lantern])
            let second = try await MarketplaceFixtures.buy(server, buyer, [chair, table])
            _ = try await MarketplaceFixtures.buy(server, other, [chair])

            let all = try await server.request(.GET, "/api/v1/purchases", token: buyer.accessToken)
            #expect(all.status == .ok)
            let body = try all.object()
            let items = try #require(body["items"] as? [[String: Any]])
            #expect(items.count == 3, "the other buyer's purchase is not listed")
            #expect((body["meta"] as? [String: Any])?["total"] as? Int == 3)
            // Newest first: the second checkout's two, then the lantern.
            #expect(Set(items.prefix(2).compactMap { $0["transaction_id"] as? String }) == [second])
            let lanternPurchase = try #require(items.last)
            #expect(lanternPurchase["transaction_id"] as? String == first)
            #expect(lanternPurchase["price_cents"] as? Int == 1000)
            #expect(lanternPurchase["currency"] as? String == "USD")
            #expect(lanternPurchase["status"] as? String == "active")
            #expect(lanternPurchase["test_mode"] as? Bool == true)
            let lanternID = lantern.uuidString.lowercased()
            #expect((lanternPurchase["download_url"] as? String)?.hasSuffix("/api/v1/models/\(lanternID)/download") == true)
            #expect(lanternPurchase["refund_window_ends_at"] != nil)
            #expect(lanternPurchase["refund_request"] == nil)
            let model = try #require(lanternPurchase["model"] as? [String: Any])
            #expect(model["id"] as? String == lanternID)
            #expect(model["title"] as? String == "Brass lantern")
            #expect((model["creator"] as? [String: Any])?["username"] as? String == "seller1")

            // A page of one, the second page, and a page past the end: the total stays true.
            let paged = try await server.request(.GET, "/api/v1/purchases?per_page=1&page=2", token: buyer.accessToken).object()
            #expect((paged["items"] as? [[String: Any]])?.count == 1)
            #expect((paged["meta"] as? [String: Any])?["total"] as? Int == 3)
            let beyond = try await server.request(.GET, "/api/v1/purchases?per_page=2&page=9", token: buyer.accessToken).object()
            #expect((beyond["items"] as? [[String: Any]])?.isEmpty == true)
            #expect((beyond["meta"] as? [String: Any])?["total"] as? Int == 3)

            // The latest refund request shows on the purchase, in the list and alone.
            let purchaseID = try #require(lanternPurchase["id"] as? String)
            let requested = try await server.request(.POST, "/api/v1/purchases/\(purchaseID)/refund-request",
                json: ["reason": "The textures are missing from the archive."], token: buyer.accessToken)
            #expect(requested.status == .created)
            let one = try await server.request(.GET, "/api/v1/purchases/\(purchaseID)", token: buyer.accessToken)
            #expect(one.status == .ok)
            let refund = try #require(try one.object()["refund_request"] as? [String: Any])
            #expect(refund["status"] as? String == "pending")
            #expect(refund["amount_cents"] as? Int == 1000)
            #expect(refund["purchase_id"] as? String == purchaseID)
            #expect(refund["transaction_id"] as? String == first)
            #expect((refund["buyer"] as? [String: Any])?["username"] as? String == "buyer1")
            #expect((refund["model"] as? [String: Any])?["id"] as? String == lanternID)
            let listed = try await server.request(.GET, "/api/v1/purchases", token: buyer.accessToken).object()
            let again = (listed["items"] as? [[String: Any]])?.first { $0["id"] as? String == purchaseID }
            #expect((again?["refund_request"] as? [String: Any])?["id"] as? String == refund["id"] as? String)

            // Someone else's purchase, an unknown id and a malformed one are all 404; signed out is 401.
            #expect(try await server.request(.GET, "/api/v1/purchases/\(purchaseID)", token: other.accessToken).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/purchases/\(UUID().uuidString)", token: buyer.accessToken).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/purchases/not-an-id", token: buyer.accessToken).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/purchases").status == .unauthorized)
        }
    }

    @Test("a purchase whose model row is gone still lists, under the title it was bought with")
    func purchaseOfVanishedModel() async throws {
        try await withServer { server in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let lantern = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "Brass lantern")
            _ = try await MarketplaceFixtures.buy(server, buyer, [lantern])
            // Renamed after the sale: the library links the model as it is now.
            try await server.app.db.sql.raw("UPDATE models SET title = 'Brass lantern, restored' WHERE id = \(bind: lantern)").run()
            let renamed = try await server.request(.GET, "/api/v1/purchases", token: buyer.accessToken).object()
            let model = (renamed["items"] as? [[String: Any]])?.first?["model"] as? [String: Any]
            #expect(model?["title"] as? String == "Brass lantern, restored")

            // Gone outright (only an operator could do this; the purchase keeps its record of what was bought).
            try await server.app.db.withConnection { connection in
                let sql = connection.sql
                // Foreign keys off for this one connection, as an operator's repair script would.
                try await sql.raw(TestServer.usesPostgres ? "SET session_replication_role = replica" : "PRAGMA foreign_keys = OFF").run()
                try await sql.raw("DELETE FROM models WHERE id = \(bind: lantern)").run()
                try await sql.raw(TestServer.usesPostgres ? "SET session_replication_role = DEFAULT" : "PRAGMA foreign_keys = ON").run()
            }
            #expect(try await ModelAsset.find(lantern, on: server.app.db) == nil)
            let library = try await server.request(.GET, "/api/v1/purchases", token: buyer.accessToken).object()
            let items = try #require(library["items"] as? [[String: Any]])
            #expect(items.count == 1)
            let gone = try #require(items.first?["model"] as? [String: Any])
            #expect(gone["id"] as? String == lantern.uuidString.lowercased())
            #expect(gone["title"] as? String == "Brass lantern", "the item's title at the time of sale")
        }
    }
}
