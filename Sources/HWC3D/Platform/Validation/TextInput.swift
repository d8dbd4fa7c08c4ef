import Foundation
import OpenAPIRuntime

/// The one rule for text people type, whatever the field: NUL never (PostgreSQL cannot store it, and no one
/// types it); no other control characters, except newline and tab in multi-line fields, where CRLF, CR and the
/// Unicode line and paragraph separators (U+2028, U+2029: line breaks a single-line field would display) become
/// LF; byte-order marks (U+FEFF, pasted from files) dropped; Unicode normalised to NFC, so the same words compare
/// and search the same however they were typed; leading and trailing whitespace trimmed. Lengths are counted in
/// characters after all that.
enum TextInput {
    enum Shape: Sendable {
        /// Titles, names, places: one line.
        case singleLine
        /// Descriptions, bios, comments, reasons: newlines and tabs allowed.
        case multiLine
    }

    static let controlMessage = "must not contain control characters"

    /// The text as it is stored; a 422 naming the field refuses it.
    static func clean(_ raw: String, field: String, shape: Shape, length: ClosedRange<Int>) throws -> String {
        func refuse(_ message: String) -> Problem { Problem.validation(field: field, message) }
        // Checked on the raw scalars first, so a long hostile string costs one pass before anything else.
        var sawOtherLineBreak = false
        var sawByteOrderMark = false
        for scalar in raw.unicodeScalars {
            switch scalar.value {
            case 0x0A, 0x09:
                if shape == .singleLine { throw refuse(controlMessage) }
            case 0x0D, 0x2028, 0x2029:
                if shape == .singleLine { throw refuse(controlMessage) }
                sawOtherLineBreak = true
            case 0x00..<0x20, 0x7F, 0x80..<0xA0:
                throw refuse(controlMessage)
            case 0xFEFF:
                sawByteOrderMark = true
            default:
                break
            }
        }
        var text = raw
        if sawOtherLineBreak {
            text = text.replacingOccurrences(of: "\r\n", with: "\n")
            text = String(String.UnicodeScalarView(text.unicodeScalars.map { [0x0D, 0x2028, 0x2029].contains($0.value) ? "\n" : $0 }))
        }
        if sawByteOrderMark { text.unicodeScalars.removeAll { $0.value == 0xFEFF } }
        text = text.precomposedStringWithCanonicalMapping.trimmingCharacters(in: .whitespacesAndNewlines)
        let count = text.count
        if count < length.lowerBound || count > length.upperBound {
            let message: String
            if length.lowerBound > 1 {
                message = "must be \(length.lowerBound) to \(length.upperBound) characters"
            } else if count == 0 {
                message = "must not be empty"
            } else {
                message = "must be at most \(length.upperBound) characters"
            }
            throw refuse(message)
        }
        return text
    }

    /// `clean`, collecting the error with the others of a request so a client fixes every field in one round.
    static func clean(
        _ raw: String, field: String, shape: Shape, length: ClosedRange<Int>, errors: inout [Problem.FieldError]
    ) -> String? {
        do {
            return try clean(raw, field: field, shape: shape, length: length)
        } catch let problem as Problem {
            errors += problem.errors
            return nil
        } catch {
            return nil
        }
    }
}

/// The NUL guard for every JSON body: JSON can carry NUL only as the escape `\u0000`, which this finds while the
/// body streams (an escaped backslash followed by `u0000` is text, not NUL). Fields with their own text rule say
/// more precisely what is wrong; this keeps NUL out of the rest (emails, passwords, identifiers) on every route.
struct JSONNulGuard: AsyncSequence, Sendable {
    typealias Element = HTTPBody.ByteChunk
    let base: HTTPBody

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPBody.AsyncIterator
        var scanner = Scanner()
        /// What passed so far (JSON bodies are at most 64 KiB), to name the field once a NUL turns up.
        var seen: [UInt8] = []

        mutating func next() async throws -> HTTPBody.ByteChunk? {
            guard let chunk = try await base.next() else { return nil }
            seen += chunk
            for byte in chunk where scanner.consume(byte) {
                // The rest of the body (still bounded by the route's limit) is read only to say which field.
                while let more = try await base.next() { seen += more }
                throw JSONNulGuard.problem(in: seen)
            }
            return chunk
        }
    }

    /// The same 422 a field's own text rule gives, naming the first field whose text holds NUL.
    static func problem(in body: [UInt8]) -> Problem {
        let json = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
        return Problem.validation(field: json.flatMap { fieldHoldingNul($0, path: "") } ?? "body", TextInput.controlMessage)
    }

    private static func fieldHoldingNul(_ value: Any, path: String) -> String? {
        switch value {
        case let text as String:
            return text.unicodeScalars.contains("\u{0}") || text.contains("\u{0}") ? (path.isEmpty ? "body" : path) : nil
        case let object as [String: Any]:
            for key in object.keys.sorted() {
                let keyPath = path.isEmpty ? key : path + "." + key
                if key.unicodeScalars.contains("\u{0}") { return path.isEmpty ? "body" : path }
                if let found = fieldHoldingNul(object[key]!, path: keyPath) { return found }
            }
            return nil
        case let array as [Any]:
            for (index, element) in array.enumerated() {
                if let found = fieldHoldingNul(element, path: path + "[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }

    /// A byte-at-a-time state machine over JSON text, carried across chunk boundaries.
    struct Scanner {
        /// 0: plain text; 1: after a backslash; 2...5: after `\u`, counting hex digits, `zeros` of them '0'.
        private var state = 0
        private var zeros = 0

        /// Whether this byte completes a `\u0000` escape.
        mutating func consume(_ byte: UInt8) -> Bool {
            switch state {
            case 0:
                if byte == UInt8(ascii: "\\") { state = 1 }
            case 1:
                if byte == UInt8(ascii: "u") {
                    state = 2
                    zeros = 0
                } else {
                    state = 0
                }
            default:
                if byte == UInt8(ascii: "0") { zeros += 1 }
                state += 1
                if state == 6 {
                    state = 0
                    return zeros == 4
                }
            }
            return false
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }
}
