// The contract target: its Swift code is generated from openapi.yaml at build time.
import Foundation

public enum ContractDocument {
    /// The OpenAPI document the server code was generated from, as shipped in the bundle.
    public static func yaml() throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return try String(contentsOf: url, encoding: .utf8)
    }
}
