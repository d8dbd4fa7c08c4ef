import Vapor

/// A path that exists under other methods answers 405 with `Allow` (RFC 9110 §15.5.6), not 404: TRACE, or a PUT
/// where only PATCH is routed, is a wrong method, not a missing resource.
struct MethodNotAllowedMiddleware: AsyncMiddleware {
    private let routes: [(method: HTTPMethod, path: [PathComponent])]

    /// Built from the routes registered so far; call once every route is in place.
    init(routes: Routes) {
        self.routes = routes.all.map { route in
            (route.method, route.path.filter { if case .constant(let part) = $0 { return !part.isEmpty } else { return true } })
        }
    }

    /// Runs only for requests that matched no route, so a linear scan of the route table costs nothing that matters.
    private static func matches(_ pattern: [PathComponent], _ path: [Substring]) -> Bool {
        var index = 0
        for component in pattern {
            switch component {
            case .catchall: return index < path.count
            case .constant(let constant):
                guard index < path.count, path[index] == constant else { return false }
            case .parameter, .anything:
                guard index < path.count else { return false }
            }
            index += 1
        }
        return index == path.count
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch let notFound as RouteNotFound {
            let path = request.url.path.split(separator: "/")
            var allowed: [HTTPMethod] = []
            for route in routes where !allowed.contains(route.method) && Self.matches(route.path, path) {
                allowed.append(route.method)
            }
            guard !allowed.isEmpty else { throw notFound }
            // Vapor answers HEAD wherever GET is routed.
            if allowed.contains(.GET), !allowed.contains(.HEAD) { allowed.append(.HEAD) }
            let list = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            throw Problem(
                .methodNotAllowed, "method-not-allowed", "Method not allowed",
                detail: "\(request.method.rawValue) is not allowed here; use \(list).", headers: [("Allow", list)])
        }
    }
}
