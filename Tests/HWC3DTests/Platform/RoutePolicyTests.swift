import Foundation
import HWC3DAPI
import Testing
import VaporTesting
import Yams

@testable import HWC3D

/// The contract's `x-policy` is the one declaration of who may call what; these tests read it and try every
/// operation with the wrong caller and a body that would not validate, so an operation that reads its input
/// before checking its caller cannot hide.
@Suite("Route policy")
struct RoutePolicyTests {
    struct Operation {
        let id: String
        let method: HTTPMethod
        let path: String
        let policy: RoutePolicy
    }

    /// Every operation of the contract with a concrete path (each `{parameter}` filled with a fresh UUID).
    static func operations() throws -> [Operation] {
        let policies = try RoutePolicies.fromContract()
        let document = try #require(try Yams.load(yaml: ContractDocument.yaml()) as? [String: Any])
        let paths = try #require(document["paths"] as? [String: Any])
        var operations: [Operation] = []
        for (path, item) in paths {
            for (method, value) in try #require(item as? [String: Any]) {
                guard let operation = value as? [String: Any], let id = operation["operationId"] as? String else { continue }
                let concrete = path.split(separator: "/", omittingEmptySubsequences: false).map { part in
                    part.hasPrefix("{") ? UUID().uuidString.lowercased() : String(part)
                }.joined(separator: "/")
                operations.append(Operation(
                    id: id, method: HTTPMethod(rawValue: method.uppercased()), path: concrete, policy: try #require(policies[id])))
            }
        }
        return operations.sorted { $0.id < $1.id }
    }

    @Test("every operation of the contract declares a policy the server can apply, and every admin permission is used")
    func everyOperationHasAPolicy() throws {
        let operations = try Self.operations()
        #expect(operations.count == 153)
        #expect(Set(operations.map(\.id)).count == operations.count)
        // The generated protocol and the contract agree on the operations, so none can miss the middleware.
        let admin = operations.filter { $0.policy.access == .admin }
        #expect(admin.allSatisfy { $0.path.hasPrefix("/api/v1/admin/") }, "\(admin.map(\.id))")
        #expect(operations.filter { $0.path.hasPrefix("/api/v1/admin/") && !$0.path.hasPrefix("/api/v1/admin/auth/") }
            .allSatisfy { $0.policy.access == .admin })
        #expect(operations.first { $0.id == "listModels" }?.policy.cache == CatalogueResponseCache.name)

        // No permission is dead weight: each guards a route, or waits for its routes in `awaitingRoutes`.
        let required = Set(operations.compactMap(\.policy.permission))
        #expect(required.isDisjoint(with: AdminPermission.awaitingRoutes), "\(required.intersection(AdminPermission.awaitingRoutes))")
        #expect(required.union(AdminPermission.awaitingRoutes) == Set(AdminPermission.allCases))
    }

    @Test("a contract whose operation lacks a policy, or names an unknown access, permission or limit, is refused at start")
    func invalidPoliciesAreRefused() throws {
        func document(_ policy: String) -> String {
            """
            openapi: 3.1.0
            paths:
              /a:
                get:
                  operationId: getA
            \(policy)
            """
        }
        #expect(throws: RoutePolicies.Invalid.self) { try RoutePolicies(yaml: document("")) }
        #expect(throws: RoutePolicies.Invalid.self) { try RoutePolicies(yaml: document("      x-policy: {access: everyone}")) }
        #expect(throws: RoutePolicies.Invalid.self) { try RoutePolicies(yaml: document("      x-policy: {access: user, permission: models.moderate}")) }
        #expect(throws: RoutePolicies.Invalid.self) { try RoutePolicies(yaml: document("      x-policy: {access: admin, permission: root}")) }
        #expect(throws: RoutePolicies.Invalid.self) { try RoutePolicies(yaml: document("      x-policy: {access: user, rate_limit: fast}")) }
        #expect(throws: RoutePolicies.Invalid.self) { try RoutePolicies(yaml: document("      x-policy: {access: user, body_limit: huge}")) }
        #expect(throws: RoutePolicies.Invalid.self) { try RoutePolicies(yaml: document("      x-policy: {access: user, colour: red}")) }
        let valid = try RoutePolicies(yaml: document("      x-policy: {access: admin, permission: finance.read, rate_limit: login}"))
        #expect(valid["getA"] == RoutePolicy(access: .admin, permission: .financeRead, rateLimit: "login"))
    }

    /// The probe's finding: signed out, `DELETE /admin/models/{id}` with `{}` said "reason: is required", and a bogus
    /// token without a body said 400 on cart, payout and admin routes. Identity comes first on every operation.
    @Test("every operation that needs a caller answers 401 to no or broken credentials, whatever the body, and changes nothing")
    func identityBeforeInput() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let guarded = try Self.operations().filter { $0.policy.access != .public && $0.policy.access != .optional }
            #expect(guarded.count > 60)
            let bodies: [(ByteBuffer?, [(String, String)])] = [
                (nil, []),
                (ByteBuffer(string: "{}"), [("Content-Type", "application/json")]),
                (ByteBuffer(string: "{not json"), [("Content-Type", "application/json")]),
                (ByteBuffer(string: "--zz\r\n"), [("Content-Type", "multipart/form-data; boundary=zz")]),
            ]
            for operation in guarded {
                for (body, headers) in bodies {
                    for token in [nil, "bogus-token"] {
                        // A query that would be refused on its own (repeated, overflowing, NUL) changes nothing.
                        let path = operation.path + "?page=99999999999999999999999&page=1&q=%00"
                        let response = try await server.request(operation.method, path, body: body, token: token, headers: headers)
                        #expect(response.status == .unauthorized, "\(operation.id) token=\(token ?? "none"): \(response.status) \(response.text)")
                    }
                }
            }
            // Nothing was written by any of those requests.
            #expect(try await CatalogueFixtures.count(server, "models") == 0)
            #expect(try await CatalogueFixtures.count(server, "cart_items") == 0)
            #expect(try await CatalogueFixtures.count(server, "payouts") == 0)
        }
    }

    @Test("a signed-in user hears 403 on admin operations and, unverified, on verified ones, before any body is read")
    func permissionBeforeInput() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let user = try await server.register("plainuser")
            let operations = try Self.operations()
            for operation in operations where operation.policy.access == .admin || operation.policy.access == .verified {
                let response = try await server.request(
                    operation.method, operation.path, body: ByteBuffer(string: "{}"), token: user.accessToken,
                    headers: [("Content-Type", "application/json")])
                #expect(response.status == .forbidden, "\(operation.id): \(response.status) \(response.text)")
                let expected = operation.policy.access == .verified ? "email-not-verified" : "forbidden"
                #expect(response.problemType == expected, "\(operation.id): \(response.text)")
            }

            // An admin session without the operation's permission: 403 naming the permission, body unread.
            let (_, supportToken) = try await CatalogueFixtures.admin(server, "helpdesk", role: .support)
            let support = AdminRole.support.permissions
            let withheld = operations.filter { operation in
                operation.policy.permission.map { !support.contains($0) } ?? false
            }
            #expect(withheld.count > 15)
            for operation in withheld {
                let response = try await server.request(
                    operation.method, operation.path, body: ByteBuffer(string: "{\"reason\": 1}"), token: supportToken,
                    headers: [("Content-Type", "application/json")])
                #expect(response.status == .forbidden, "\(operation.id): \(response.status) \(response.text)")
                #expect(response.text.contains(operation.policy.permission!.rawValue), "\(operation.id): \(response.text)")
            }
        }
    }
}
