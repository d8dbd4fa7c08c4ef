import Fluent
import Foundation
import SQLKit
import Vapor

/// The ledger's invariants, checked over the whole table: what tests assert after every scenario and what
/// admins can run at `/admin/ledger/check`.
enum LedgerAudit {
    struct Finding: Equatable, Sendable {
        enum Kind: String, Sendable {
            case unbalancedGroup = "unbalanced_group"
            case negativeSellerBalance = "negative_seller_balance"
            case feeSplitMismatch = "fee_split_mismatch"
            case overRefunded = "over_refunded"
            case paymentMismatch = "payment_mismatch"
        }
        var kind: Kind
        var detail: String
        var reference: UUID?
    }

    struct Report: Sendable {
        var entriesChecked: Int
        var groupsChecked: Int
        var findings: [Finding]
        var ok: Bool { findings.isEmpty }
    }

    static func run(on database: any Database, now: Date = Date()) async throws -> Report {
        let sql = database.sql
        var findings: [Finding] = []

        let counts = try await sql.raw("SELECT COUNT(*) AS entries, COUNT(DISTINCT group_id) AS groups FROM ledger_entries").first()
        let entries = try counts?.decode(column: "entries", as: Int.self) ?? 0
        let groups = try counts?.decode(column: "groups", as: Int.self) ?? 0

        for row in try await sql.raw("""
            SELECT group_id, CAST(SUM(amount_cents) AS BIGINT) AS total FROM ledger_entries GROUP BY group_id HAVING SUM(amount_cents) <> 0
            """).all() {
            let group = try row.decode(column: "group_id", as: UUID.self)
            findings.append(.init(kind: .unbalancedGroup, detail: "entry group sums to \(try row.decode(column: "total", as: Int.self)), not 0", reference: group))
        }
        for row in try await sql.raw("""
            SELECT user_id, CAST(SUM(amount_cents) AS BIGINT) AS total,
                   CAST(SUM(CASE WHEN available_at <= \(bind: now) THEN amount_cents ELSE 0 END) AS BIGINT) AS available
            FROM ledger_entries WHERE account = 'seller_balance' GROUP BY user_id
            HAVING SUM(amount_cents) < 0 OR SUM(CASE WHEN available_at <= \(bind: now) THEN amount_cents ELSE 0 END) < 0
            """).all() {
            let seller = try row.decode(column: "user_id", as: UUID.self)
            findings.append(.init(
                kind: .negativeSellerBalance,
                detail: "seller balance \(try row.decode(column: "total", as: Int.self)), available \(try row.decode(column: "available", as: Int.self))",
                reference: seller))
        }
        for row in try await sql.raw("""
            SELECT id FROM transaction_items WHERE price_cents <> fee_cents + earning_cents OR fee_cents < 0 OR earning_cents < 0 OR price_cents <= 0
            """).all() {
            findings.append(.init(kind: .feeSplitMismatch, detail: "item price is not fee + earning", reference: try row.decode(column: "id", as: UUID.self)))
        }
        for row in try await sql.raw("""
            SELECT t.id FROM transactions t
            WHERE t.amount_cents <> (SELECT COALESCE(SUM(i.price_cents), 0) FROM transaction_items i WHERE i.transaction_id = t.id)
               OR t.fee_cents <> (SELECT COALESCE(SUM(i.fee_cents), 0) FROM transaction_items i WHERE i.transaction_id = t.id)
            """).all() {
            findings.append(.init(kind: .feeSplitMismatch, detail: "transaction total is not the sum of its items", reference: try row.decode(column: "id", as: UUID.self)))
        }
        for row in try await sql.raw("""
            SELECT t.id FROM transactions t
            WHERE t.refunded_cents < 0 OR t.refunded_cents > t.amount_cents
               OR (SELECT COALESCE(SUM(e.amount_cents), 0) FROM ledger_entries e
                   WHERE e.transaction_id = t.id AND e.account = 'buyer_funds' AND e.kind = 'refund_reversal') > t.amount_cents
            """).all() {
            findings.append(.init(kind: .overRefunded, detail: "more refunded than was paid", reference: try row.decode(column: "id", as: UUID.self)))
        }
        // A paid transaction has exactly its amount in buyer payments; any other has none.
        for row in try await sql.raw("""
            SELECT t.id, t.status FROM transactions t
            WHERE COALESCE((SELECT SUM(e.amount_cents) FROM ledger_entries e
                            WHERE e.transaction_id = t.id AND e.kind = 'buyer_payment'), 0)
                  <> CASE WHEN t.status IN ('succeeded', 'refunded', 'partially_refunded') THEN -t.amount_cents ELSE 0 END
            """).all() {
            findings.append(.init(
                kind: .paymentMismatch, detail: "ledger payments do not match a \(try row.decode(column: "status", as: String.self)) transaction",
                reference: try row.decode(column: "id", as: UUID.self)))
        }
        return Report(entriesChecked: entries, groupsChecked: groups, findings: findings)
    }
}

/// `hwc3d ledger-check`: runs the invariants from the command line (operators, cron, the checkout benchmark).
/// Prints one line per problem and exits 1 when there is any.
struct LedgerCheckCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Checks the ledger's invariants; exits 1 when one does not hold." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let report = try await LedgerAudit.run(on: context.application.db)
        for finding in report.findings {
            context.console.print("\(finding.kind.rawValue) \(finding.reference?.uuidString.lowercased() ?? "-"): \(finding.detail)")
        }
        context.console.print("ledger \(report.ok ? "ok" : "NOT OK"): \(report.entriesChecked) entries in \(report.groupsChecked) groups, \(report.findings.count) problems")
        if !report.ok { throw LedgerCheckFailed() }
    }

    struct LedgerCheckFailed: Error, CustomStringConvertible {
        var description: String { "the ledger check found problems" }
    }
}
