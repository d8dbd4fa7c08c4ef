import Foundation
import HWC3DAPI
import Vapor
import Yams

/// Publishes the contract (`/openapi.yaml`, `/openapi.json`) and two readers of it (`/docs`, `/redoc`). The
/// document is the one the server was generated from, so it cannot drift from the running code.
enum ContractDocuments {
    static func register(on app: Application, settings: Settings) {
        let yaml = (try? ContractDocument.yaml()) ?? ""
        let json: String = {
            guard let object = try? Yams.load(yaml: yaml),
                let data = try? JSONSerialization.data(withJSONObject: normalise(object), options: [.sortedKeys])
            else { return "{}" }
            return String(decoding: data, as: UTF8.self)
        }()
        let assets = settings.docsAssetsURL
        let assetHost = URL(string: assets).flatMap { url in url.host.map { "\(url.scheme ?? "https")://\($0)" } } ?? assets

        app.get("openapi.yaml") { _ in
            Response(status: .ok, headers: ["Content-Type": "application/yaml; charset=utf-8"], body: .init(string: yaml))
        }
        app.get("openapi.json") { _ in
            Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: json))
        }
        let csp = "default-src 'none'; script-src 'unsafe-inline' \(assetHost); style-src 'unsafe-inline' \(assetHost); img-src 'self' data: \(assetHost); connect-src 'self'; font-src \(assetHost) data:; worker-src blob:; frame-ancestors 'none'"
        app.get("docs") { _ in
            html("""
                <!doctype html><html><head><meta charset="utf-8"><title>HWC3D API</title>
                <link rel="stylesheet" href="\(assets)/swagger-ui-dist@5/swagger-ui.css"></head>
                <body><div id="swagger-ui"></div>
                <script src="\(assets)/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
                <script>window.ui = SwaggerUIBundle({url: '/openapi.json', dom_id: '#swagger-ui', withCredentials: true});</script>
                </body></html>
                """, csp: csp)
        }
        app.get("redoc") { _ in
            html("""
                <!doctype html><html><head><meta charset="utf-8"><title>HWC3D API</title></head>
                <body><redoc spec-url="/openapi.json"></redoc>
                <script src="\(assets)/redoc@2/bundles/redoc.standalone.js"></script></body></html>
                """, csp: csp)
        }
    }

    private static func html(_ body: String, csp: String) -> Response {
        Response(status: .ok, headers: ["Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": csp], body: .init(string: body))
    }

    /// YAML loads integers-as-keys and other non-JSON values (response codes like 200); JSON needs string keys.
    private static func normalise(_ value: Any) -> Any {
        switch value {
        case let dict as [AnyHashable: Any]:
            var out: [String: Any] = [:]
            for (key, inner) in dict { out["\(key.base)"] = normalise(inner) }
            return out
        case let array as [Any]:
            return array.map(normalise)
        default:
            return value
        }
    }
}
