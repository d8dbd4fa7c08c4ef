/// One byte range asked for in a `Range` header (RFC 9110 §14.1.2), for resumable downloads.
enum ByteRangeRequest: Equatable, Sendable {
    /// `bytes=a-b`
    case closed(first: Int, last: Int)
    /// `bytes=a-`
    case from(first: Int)
    /// `bytes=-n`: the last n bytes.
    case suffix(length: Int)

    /// The range a header asks for, or nil when the whole file should be served: no header, another unit, a
    /// syntax error (RFC 9110 lets a server ignore an invalid Range), or several ranges (serving them as
    /// `multipart/byteranges` buys download managers nothing; the whole file is a valid answer).
    static func parse(_ header: String?) -> ByteRangeRequest? {
        guard let header else { return nil }
        let trimmed = header.trimmingSpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return nil }
        let spec = trimmed.dropFirst("bytes=".count).trimmingSpaces()
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash].trimmingSpaces()
        let last = spec[spec.index(after: dash)...].trimmingSpaces()
        switch (number(first), number(last)) {
        case (let first?, let last?) where first <= last: return .closed(first: first, last: last)
        case (let first?, nil) where last.isEmpty: return .from(first: first)
        case (nil, let length?) where first.isEmpty: return .suffix(length: length)
        default: return nil
        }
    }

    /// The bytes to serve of a file of `size` bytes, or nil when none can be (answer 416): a start at or past the
    /// end, an empty suffix, or any range of an empty file. An end past the last byte is clamped.
    func resolve(size: Int) -> ClosedRange<Int>? {
        guard size > 0 else { return nil }
        switch self {
        case .closed(let first, let last): return first < size ? first...Swift.min(last, size - 1) : nil
        case .from(let first): return first < size ? first...(size - 1) : nil
        case .suffix(let length): return length > 0 ? Swift.max(0, size - length)...(size - 1) : nil
        }
    }

    /// Digits only, and few enough of them to fit an `Int`.
    private static func number(_ text: String) -> Int? {
        guard !text.isEmpty, text.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }
}

extension StringProtocol {
    fileprivate func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
