import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Sellers, paid models, buyers and purchases for marketplace tests, through the real routes where one exists.
enum MarketplaceFixtures {
    /// A published, public model for sale at `priceCents`.
    static func paidModel(_ server: TestServer, owner: TestServer.SignedIn, priceCents: Int, title: String = "Brass lantern") async throws -> UUID {
        let id = try await CatalogueFixtures.model(server, owner: owner, title: title)
        try await setPrice(server, id, priceCents)
        return id
    }

    static func setPrice(_ server: TestServer, _ id: UUID, _ priceCents: Int) async throws {
        let model = try await CatalogueFixtures.row(server, id)
        model.priceCents = priceCents
        try await model.update(on: server.app.db)
    }

    static func addToCart(_ server: TestServer, _ buyer: TestServer.SignedIn, _ modelID: UUID) async throws -> TestResponse {
        try await server.request(.POST, "/api/v1/cart/items", json: ["model_id": modelID.uuidString.lowercased()], token: buyer.accessToken)
    }

    static func checkout(
        _ server: TestServer, _ buyer: TestServer.SignedIn, provider: String = "sandbox", key: String = UUID().uuidString,
        expectedTotal: Int? = nil
    ) async throws -> TestResponse {
        var body: [String: Any] = ["provider": provider]
        if let expectedTotal { body["expected_total_cents"] = expectedTotal }
        return try await server.request(.POST, "/api/v1/checkout", json: body, token: buyer.accessToken, headers: [("Idempotency-Key", key)])
    }

    /// Cart, checkout and sandbox capture of `models`; returns the transaction id.
    @discardableResult
    static func buy(_ server: TestServer, _ buyer: TestServer.SignedIn, _ models: [UUID]) async throws -> String {
        for model in models {
            let added = try await addToCart(server, buyer, model)
            #expect(added.status == .ok, "add to cart: \(added.text)")
        }
        let checkout = try await checkout(server, buyer)
        #expect(checkout.status == .created, "checkout: \(checkout.text)")
        let transaction = try #require(try checkout.object()["transaction"] as? [String: Any])
        let id = try #require(transaction["id"] as? String)
        let capture = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
        #expect(capture.status == .ok, "capture: \(capture.text)")
        #expect(try capture.object()["status"] as? String == "succeeded")
        return id
    }

    /// The ledger's invariants, as `/admin/ledger/check` runs them.
    static func expectLedgerHolds(_ server: TestServer, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let report = try await LedgerAudit.run(on: server.app.db)
        #expect(report.ok, "ledger: \(report.findings)", sourceLocation: sourceLocation)
    }

    /// Moves a purchase (and the sale's ledger entries) `days` into the past, as if time had passed.
    static func age(_ server: TestServer, transactionID: String, days: Int) async throws {
        let id = try #require(UUID(uuidString: transactionID))
        let shift = TimeInterval(days) * 86_400
        for purchase in try await Purchase.query(on: server.app.db).filter(\.$transaction.$id == id).all() {
            purchase.createdAt = purchase.createdAt.addingTimeInterval(-shift)
            try await purchase.update(on: server.app.db)
        }
        for entry in try await LedgerEntry.query(on: server.app.db).filter(\.$transactionID == id).all() {
            entry.availableAt = entry.availableAt.addingTimeInterval(-shift)
            entry.createdAt = entry.createdAt.addingTimeInterval(-shift)
            entry.day = UTCDay.string(entry.createdAt)
            try await entry.update(on: server.app.db)
        }
    }

    static func sum(_ server: TestServer, _ query: SQLQueryString) async throws -> Int {
        let sql = server.app.db as! any SQLDatabase
        return try await sql.raw(query).first()?.decode(column: "n", as: Int?.self) ?? 0
    }
}
