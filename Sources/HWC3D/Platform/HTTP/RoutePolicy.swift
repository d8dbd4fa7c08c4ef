import Foundation
import HWC3DAPI
import Yams

/// Who may call an operation and within which limits, declared once per operation in the contract as its
/// `x-policy` extension, so the frontend reads the same rule the server applies. `RoutePolicyMiddleware` applies
/// it before the request body is read: a caller who may not call an operation hears 401 or 403, never a 400 or
/// 422 about a body it should not have sent.
struct RoutePolicy: Sendable, Equatable {
    enum Access: String, Sendable, CaseIterable {
        /// Anyone; credentials are not looked at.
        case `public`
        /// Anyone, but present credentials must be valid (401 otherwise): the answer depends on who asks.
        case optional
        /// A signed-in user.
        case user
        /// A signed-in user with a verified email address.
        case verified
        /// An admin session opened with a second factor, holding `permission` when one is named.
        case admin
    }

    /// Request body size limits by name; the upload ones follow settings.
    enum BodyLimit: String, Sendable, CaseIterable {
        case json, avatar, banner, webhook
        case modelFile = "model_file"
        /// Gallery-style pictures: model images and images uploaded for posts and tickets.
        case image
    }

    /// What a query parameter's value must parse as, from its schema in the contract. The middleware checks it
    /// so a bad value is named (`page: must be an integer`); ranges and meanings stay with the services.
    enum QueryValue: String, Sendable, Equatable {
        case integer, boolean, string
    }

    var access: Access
    var permission: AdminPermission?
    var rateLimit: String
    var bodyLimit: BodyLimit
    /// The name of the response cache that may answer the operation (`catalogue`), if any.
    var cache: String?
    /// The operation's query parameters (not from `x-policy`: from its `parameters`).
    var query: [String: QueryValue] = [:]

    init(
        access: Access, permission: AdminPermission? = nil, rateLimit: String = "default", bodyLimit: BodyLimit = .json,
        cache: String? = nil
    ) {
        self.access = access
        self.permission = permission
        self.rateLimit = rateLimit
        self.bodyLimit = bodyLimit
        self.cache = cache
    }
}

/// Every operation's policy, read from the contract the server was generated from. Reading fails, and the server
/// does not start, when an operation has no policy or names an unknown access level, permission or limit.
struct RoutePolicies: Sendable {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    let byOperation: [String: RoutePolicy]

    subscript(operationID: String) -> RoutePolicy? { byOperation[operationID] }

    static func fromContract() throws -> RoutePolicies {
        try RoutePolicies(yaml: ContractDocument.yaml())
    }

    init(yaml: String) throws {
        guard let document = try Yams.load(yaml: yaml) as? [String: Any], let paths = document["paths"] as? [String: Any]
        else { throw Invalid(description: "the contract has no paths") }
        let sharedParameters = (document["components"] as? [String: Any])?["parameters"] as? [String: Any] ?? [:]
        func queryParameters(_ list: Any?) -> [String: RoutePolicy.QueryValue] {
            var result: [String: RoutePolicy.QueryValue] = [:]
            for entry in list as? [[String: Any]] ?? [] {
                var parameter = entry
                if let ref = entry["$ref"] as? String, let name = ref.split(separator: "/").last,
                    let shared = sharedParameters[String(name)] as? [String: Any]
                {
                    parameter = shared
                }
                guard parameter["in"] as? String == "query", let name = parameter["name"] as? String else { continue }
                let type = (parameter["schema"] as? [String: Any])?["type"] as? String
                result[name] = type.flatMap(RoutePolicy.QueryValue.init(rawValue:)) ?? .string
            }
            return result
        }
        var policies: [String: RoutePolicy] = [:]
        var problems: [String] = []
        for (path, item) in paths {
            guard let methods = item as? [String: Any] else { continue }
            let pathQuery = queryParameters(methods["parameters"])
            for (method, value) in methods {
                guard let operation = value as? [String: Any], let id = operation["operationId"] as? String else { continue }
                do {
                    var policy = try Self.policy(operation["x-policy"])
                    policy.query = pathQuery.merging(queryParameters(operation["parameters"])) { _, own in own }
                    policies[id] = policy
                } catch let invalid as Invalid {
                    problems.append("\(method.uppercased()) \(path) (\(id)): \(invalid.description)")
                }
            }
        }
        guard problems.isEmpty else {
            throw Invalid(description: "x-policy in openapi.yaml: " + problems.sorted().joined(separator: "; "))
        }
        byOperation = policies
    }

    private static func policy(_ value: Any?) throws -> RoutePolicy {
        guard let fields = value as? [String: Any] else { throw Invalid(description: "missing") }
        let known: Set<String> = ["access", "permission", "rate_limit", "body_limit", "cache"]
        if let unknown = fields.keys.first(where: { !known.contains($0) }) { throw Invalid(description: "unknown field \(unknown)") }
        guard let accessName = fields["access"] as? String, let access = RoutePolicy.Access(rawValue: accessName) else {
            throw Invalid(description: "access must be one of \(RoutePolicy.Access.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var policy = RoutePolicy(access: access)
        if let name = fields["permission"] {
            guard access == .admin, let name = name as? String, let permission = AdminPermission(rawValue: name) else {
                throw Invalid(description: "permission must be an admin permission, on an admin route")
            }
            policy.permission = permission
        }
        if let name = fields["rate_limit"] {
            guard let name = name as? String, RateLimitPolicies.defaults[name] != nil else {
                throw Invalid(description: "rate_limit must be one of \(RateLimitPolicies.defaults.keys.sorted().joined(separator: ", "))")
            }
            policy.rateLimit = name
        }
        if let name = fields["body_limit"] {
            guard let name = name as? String, let limit = RoutePolicy.BodyLimit(rawValue: name) else {
                throw Invalid(description: "body_limit must be one of \(RoutePolicy.BodyLimit.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            policy.bodyLimit = limit
        }
        if let name = fields["cache"] {
            guard let name = name as? String, name == CatalogueResponseCache.name else {
                throw Invalid(description: "cache must be \(CatalogueResponseCache.name)")
            }
            policy.cache = name
        }
        return policy
    }
}
