import Foundation

/// The files a scene refers to by relative path: a glTF's external buffers, an OBJ's material libraries.
///
/// A lone `.gltf` or `.obj` upload has none (`.none`); a zip bundle resolves references to its own entries, reading
/// each one only when a reader asks for it.
struct SceneResources {
    /// Returns the bytes of the file `path` (already normalised, relative to the bundle root), or nil if the bundle
    /// has no such file.
    private let load: (String) throws -> Data?
    /// Folder of the scene file inside the bundle ("" for the root), which relative references start from.
    let baseDirectory: String

    /// Whether references can be resolved at all; false for a lone upload, so readers can say why a file is missing.
    let isBundle: Bool

    static var none: SceneResources { SceneResources(baseDirectory: "", isBundle: false) { _ in nil } }

    init(baseDirectory: String, isBundle: Bool = true, load: @escaping (String) throws -> Data?) {
        self.baseDirectory = baseDirectory
        self.isBundle = isBundle
        self.load = load
    }

    /// Resolves `reference` against the scene's folder and loads it; nil when it is not in the bundle or points
    /// outside it.
    func data(forReference reference: String) throws -> Data? {
        guard let path = Self.resolve(reference, against: baseDirectory) else { return nil }
        return try load(path)
    }

    /// Joins a relative reference onto a folder, folding `.` and `..`; nil for absolute references or ones that
    /// climb out of the bundle. Backslashes count as separators: Windows tools write them into OBJ and MTL files.
    static func resolve(_ reference: String, against directory: String) -> String? {
        let cleaned = reference.replacingOccurrences(of: "\\", with: "/")
        guard !cleaned.hasPrefix("/"), !looksLikeDrivePath(cleaned) else { return nil }
        var parts = directory.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        for part in cleaned.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                guard !parts.isEmpty else { return nil }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "/")
    }

    static func looksLikeDrivePath(_ path: String) -> Bool {
        let utf8 = Array(path.utf8.prefix(2))
        guard utf8.count == 2, utf8[1] == UInt8(ascii: ":") else { return false }
        return (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(utf8[0] | 0x20)
    }
}

/// Decoding for glTF buffer URIs: `data:` URIs (RFC 2397) and percent-encoded relative paths (RFC 3986).
enum URIDecoding {
    /// Decodes `%XX` escapes; nil when an escape is malformed.
    static func percentDecoded(_ text: String) -> String? {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.popFirst().flatMap(hexValue), let low = iterator.popFirst().flatMap(hexValue)
            else { return nil }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Whether the URI bytes start with `data:` (case-insensitively).
    static func isDataURI(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 5 else { return false }
        let prefix: [UInt8] = Array("data:".utf8)
        for offset in 0..<5 where bytes[offset] | 0x20 != prefix[offset] { return false }
        return true
    }

    /// The payload of a `data:` URI. Base64 payloads are decoded straight from the source bytes, so a buffer of the
    /// size of the whole file is never held twice as text.
    static func dataURIPayload(_ bytes: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        guard let comma = bytes.firstIndex(of: UInt8(ascii: ",")) else {
            throw MeshInspectionError(.malformed, "A data: URI has no ',' before its payload.")
        }
        let header = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[0..<comma]), as: UTF8.self).lowercased()
        let payload = UnsafeRawBufferPointer(rebasing: bytes[(comma + 1)...])
        if header.hasSuffix(";base64") {
            return try Base64.decode(payload, limit: limit)
        }
        guard payload.count <= limit else {
            throw MeshInspectionError(.limitExceeded, "A data: URI holds more than \(limit) bytes.")
        }
        guard let decoded = percentDecoded(String(decoding: payload, as: UTF8.self)) else {
            throw MeshInspectionError(.malformed, "A data: URI has a malformed %-escape.")
        }
        return Array(decoded.utf8)
    }
}

/// Standard base64 (RFC 4648 §4) with optional padding; anything else is an error, not skipped.
enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        return table
    }()

    static func decode(_ text: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        var length = text.count
        while length > 0, text[length - 1] == UInt8(ascii: "=") { length -= 1 }
        guard text.count - length <= 2, length % 4 != 1 else {
            throw MeshInspectionError(.malformed, "A base64 payload has an impossible length.")
        }
        let outputCount = length / 4 * 3 + max(0, length % 4 - 1)
        guard outputCount <= limit else {
            throw MeshInspectionError(.limitExceeded, "A base64 payload decodes to \(outputCount) bytes; the limit is \(limit).")
        }
        var output = [UInt8](repeating: 0, count: outputCount)
        try table.withUnsafeBufferPointer { table in
            try output.withUnsafeMutableBufferPointer { out in
                var written = 0
                var accumulator: UInt32 = 0
                var pending = 0
                for index in 0..<length {
                    let value = table[Int(text[index])]
                    guard value != 0xFF else {
                        throw MeshInspectionError(.malformed, "A base64 payload has an invalid character at \(index).")
                    }
                    accumulator = accumulator << 6 | UInt32(value)
                    pending += 1
                    if pending == 4 {
                        out[written] = UInt8(truncatingIfNeeded: accumulator >> 16)
                        out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 8)
                        out[written + 2] = UInt8(truncatingIfNeeded: accumulator)
                        written += 3
                        pending = 0
                        accumulator = 0
                    }
                }
                if pending == 3 {
                    out[written] = UInt8(truncatingIfNeeded: accumulator >> 10)
                    out[written + 1] = UInt8(truncatingIfNeeded: accumulator >> 2)
                } else if pending == 2 {
                    out[written] = UInt8(truncatingIfNeeded: accumulator >> 4)
                }
            }
        }
        return output
    }
}
