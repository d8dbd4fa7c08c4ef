import Foundation
import HWC3DAPI
import OpenAPIRuntime
import Vapor

/// Implements the generated `APIProtocol`, one extension per area. Handlers stay thin: read the typed input,
/// call a service, map the result to contract types. Errors are thrown as `Problem`s and rendered in one place.
/// Who may call is the operation's `x-policy`, applied before the handler runs: handlers read the admitted caller
/// (`signedIn`, `optionalCaller`, `admin`). Request bodies are read with an exhaustive `switch` over the contract's
/// content types, so a content type added to the contract is a compile error, not a forgotten runtime guard.
struct APIHandler: APIProtocol {
    let services: AppServices

    var request: Request { get throws { try CurrentRequest.get() } }

    /// The signed-in caller that the operation's route policy (`user`, `verified`, `admin`) admitted before the
    /// handler ran. A handler of a `public` route asking for it is a mistake in the contract's `x-policy`: 500.
    var signedIn: Caller {
        get throws {
            guard let caller = try request.resolvedCaller() else { throw ProblemMiddleware.internalError }
            return caller
        }
    }

    /// The caller of an `optional` route: nil when signed out (broken credentials were already a 401).
    var optionalCaller: Caller? { get throws { try request.resolvedCaller() } }

    /// The admin that an `admin` route's policy admitted, permission already checked.
    var admin: AdminCaller {
        get throws {
            guard let admin = try request.admittedAdmin else { throw ProblemMiddleware.internalError }
            return admin
        }
    }
}
