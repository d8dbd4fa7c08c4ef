import Fluent
import Foundation
import PostgresKit
import SQLKit

/// One event for the sockets of one channel (`user:<id>`, `community:<id>`, `ticket:<id>`), written in the
/// transaction of the change it tells of, so a rolled-back change tells nothing and a committed one is never
/// lost. `seq` orders a channel's events; a client that reconnects with the last `seq` it saw gets what it
/// missed. Rows are kept for `RealtimeHub.retention`.
final class RealtimeEventRecord: Model, @unchecked Sendable {
    static let schema = "realtime_events"

    @ID(custom: "seq", generatedBy: .database) var id: Int?
    @Field(key: "channel") var channel: String
    @Field(key: "type") var type: String
    @Field(key: "data") var data: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A stored event as the hub hands it to sockets.
struct RealtimeEvent: Sendable {
    let seq: Int
    let channel: String
    let type: String
    /// The event's `data`, JSON as written.
    let data: String
    let createdAt: Date

    init(seq: Int, channel: String, type: String, data: String, createdAt: Date) {
        self.seq = seq
        self.channel = channel
        self.type = type
        self.data = data
        self.createdAt = createdAt
    }

    init(row: any SQLRow) throws {
        seq = try row.decode(column: "seq", as: Int.self)
        channel = try row.decode(column: "channel", as: String.self)
        type = try row.decode(column: "type", as: String.self)
        data = try row.decode(column: "data", as: String.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
    }

    /// An id in `data` (stored events carry ids: `{"id": ...}`, `{"user_id": ...}`).
    func id(_ field: String) -> UUID? {
        (try? JSONDecoder().decode([String: String].self, from: Data(data.utf8)))?[field].flatMap(UUID.init(uuidString:))
    }

    /// The id the channel is named after, for a channel of that kind (`user:<id>`, `community:<id>`).
    func channelID(_ kind: String) -> UUID? {
        guard channel.hasPrefix(kind + ":") else { return nil }
        return UUID(uuidString: String(channel.dropFirst(kind.count + 1)))
    }

    /// The envelope of API.md: `{"type", "data", "id", "ts"}`; `id` is the `seq` to reconnect with.
    var envelope: String {
        #"{"type":\#(RealtimeEvents.jsonString(type)),"data":\#(data),"id":"\#(seq)","ts":"\#(RealtimeEvents.timestamp(createdAt))"}"#
    }
}

enum RealtimeEvents {
    /// PostgreSQL's channel for new events. The payload is the event's `seq` only: NOTIFY carries at most 8,000
    /// bytes, and a listener reads the row anyway.
    static let pgChannel = "hwc3d_realtime"

    /// Writes the event in the caller's transaction. On PostgreSQL a NOTIFY in the same transaction wakes every
    /// instance's listener when, and only if, it commits; SQLite's single instance polls for new rows.
    static func publish(channel: String, type: String, data: some Encodable, on database: any Database, now: Date = Date()) async throws {
        let json = String(decoding: try encoder.encode(data), as: UTF8.self)
        try await publish(channel: channel, type: type, json: json, on: database, now: now)
    }

    static func publish(channel: String, type: String, json: String, on database: any Database, now: Date = Date()) async throws {
        let sql = database.sql
        let row = try await sql.raw("""
            INSERT INTO realtime_events (channel, type, data, created_at)
            VALUES (\(bind: channel), \(bind: type), \(bind: json), \(bind: now)) RETURNING seq
            """).first()
        if sql.dialect.name == "postgresql", let seq = try row?.decode(column: "seq", as: Int.self) {
            try await sql.raw("SELECT pg_notify(\(bind: pgChannel), \(bind: String(seq)))").run()
        }
    }

    /// Events after `seq`, oldest first: of some channels (a reconnecting socket) or of all (the SQLite poll).
    static func after(_ seq: Int, channels: [String]? = nil, limit: Int = 500, on database: any SQLDatabase) async throws -> [RealtimeEvent] {
        var filter: SQLQueryString = "seq > \(bind: seq)"
        if let channels { filter = "\(filter) AND channel IN (\(binds: channels))" }
        return try await database.raw("""
            SELECT seq, channel, type, data, created_at FROM realtime_events WHERE \(filter) ORDER BY seq LIMIT \(literal: limit)
            """).all().map(RealtimeEvent.init(row:))
    }

    static func event(_ seq: Int, on database: any SQLDatabase) async throws -> RealtimeEvent? {
        try await database.raw("SELECT seq, channel, type, data, created_at FROM realtime_events WHERE seq = \(bind: seq)").first()
            .map(RealtimeEvent.init(row:))
    }

    /// The newest `seq`, where a hub starts.
    static func latest(on database: any SQLDatabase) async throws -> Int {
        try await database.raw("SELECT MAX(seq) AS seq FROM realtime_events").first()?.decode(column: "seq", as: Int?.self) ?? 0
    }

    static func prune(before cutoff: Date, on database: any SQLDatabase) async throws {
        try await database.raw("DELETE FROM realtime_events WHERE created_at < \(bind: cutoff)").run()
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(RealtimeEvents.timestamp(date))
        }
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func timestamp(_ date: Date) -> String {
        (try? InternetDateTranscoder().encode(date)) ?? ""
    }

    static func jsonString(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
