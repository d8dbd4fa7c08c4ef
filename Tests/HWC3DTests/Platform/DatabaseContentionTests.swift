import Testing

@testable import HWC3D

/// Contention is the client's cue to retry, not a server fault.
struct DatabaseContentionTests {
    struct StubConnectionPoolTimeoutError: Error {}
    struct SomethingElse: Error {}

    @Test("A pool timeout is a 503 database-busy with Retry-After; other errors stay 500")
    func poolTimeoutIsBusy() {
        let busy = ProblemMiddleware.problem(for: StubConnectionPoolTimeoutError())
        #expect(busy.status == .serviceUnavailable)
        #expect(busy.slug == "database-busy")
        #expect(busy.headers.contains { $0.0 == "Retry-After" && $0.1 == "1" })
        #expect(ProblemMiddleware.problem(for: SomethingElse()).status == .internalServerError)
    }
}
