import Fluent
import Foundation
import SQLKit

/// Values admins change at runtime (`/admin/settings`), one row per key. Environment settings stay in
/// `Settings`; these are the ones a business decides, not an operator.
final class PlatformSetting: Model, @unchecked Sendable {
    static let schema = "platform_settings"

    @ID(custom: "key", generatedBy: .user) var id: String?
    @Field(key: "value") var value: String
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(key: String, value: String) {
        self.id = key
        self.value = value
    }
}

/// The marketplace's money rules as admins set them, with the documented defaults for keys never set.
struct MarketplaceSettings: Codable, Sendable, Equatable {
    /// Basis points of each sold item's price: 750 is 7.5%.
    var platformFeeBps: Int = 750
    var refundWindowDays: Int = 14
    var payoutMinimumCents: Int = 2000
    var holdingPeriodDays: Int = 14
    var updatedAt: Date? = nil

    static let ranges: [String: ClosedRange<Int>] = [
        "platform_fee_bps": 0...5000, "refund_window_days": 0...365,
        "payout_minimum_cents": 100...10_000_000, "holding_period_days": 0...365,
    ]

    static func load(on database: any Database) async throws -> MarketplaceSettings {
        // A plain statement: checkout and every completed payment read these (issue 11).
        let rows = try await database.prepared("""
            SELECT key, value, updated_at FROM platform_settings WHERE key IN (\(binds: ranges.keys.sorted()))
            """)
        var settings = MarketplaceSettings()
        for row in rows {
            guard let value = Int(try row.decode(column: "value", as: String.self)) else { continue }
            settings[try row.decode(column: "key", as: String.self)] = value
            if let updated = try row.decode(column: "updated_at", as: Date?.self), updated > (settings.updatedAt ?? .distantPast) {
                settings.updatedAt = updated
            }
        }
        return settings
    }

    subscript(key: String) -> Int {
        get {
            switch key {
            case "platform_fee_bps": platformFeeBps
            case "refund_window_days": refundWindowDays
            case "payout_minimum_cents": payoutMinimumCents
            default: holdingPeriodDays
            }
        }
        set {
            switch key {
            case "platform_fee_bps": platformFeeBps = newValue
            case "refund_window_days": refundWindowDays = newValue
            case "payout_minimum_cents": payoutMinimumCents = newValue
            case "holding_period_days": holdingPeriodDays = newValue
            default: break
            }
        }
    }

    /// Validates every given value, then writes them with the admin action in one transaction.
    static func update(_ changes: [String: Int], admin: AdminCaller, on database: any Database) async throws -> MarketplaceSettings {
        var errors: [Problem.FieldError] = []
        for (key, value) in changes.sorted(by: { $0.key < $1.key }) {
            guard let range = ranges[key] else { continue }
            if !range.contains(value) {
                errors.append(.init(field: key, message: "must be between \(range.lowerBound) and \(range.upperBound)"))
            }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        return try await database.transaction { db in
            let before = try await load(on: db)
            var after = before
            for (key, value) in changes where ranges[key] != nil {
                after[key] = value
                if let row = try await PlatformSetting.find(key, on: db) {
                    row.value = String(value)
                    try await row.update(on: db)
                } else {
                    try await PlatformSetting(key: key, value: String(value)).create(on: db)
                }
            }
            var plainBefore = before, plainAfter = after
            plainBefore.updatedAt = nil
            plainAfter.updatedAt = nil
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = .sortedKeys
            try await AdminAudit.record(
                admin: admin, action: "settings.update", targetType: "settings", targetID: "marketplace",
                before: String(decoding: try encoder.encode(plainBefore), as: UTF8.self),
                after: String(decoding: try encoder.encode(plainAfter), as: UTF8.self), on: db)
            return try await load(on: db)
        }
    }
}
