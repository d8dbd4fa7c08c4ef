/// Recognises Wavefront OBJ text: lines made of the format's own statements.
///
/// OBJ has no magic number, so the sniffer reads statements until it has seen enough (or 4 MB): the text must be
/// free of binary bytes, hold at least one `v` statement, and nearly all its statements must be OBJ keywords. An
/// MTL file, a CSV or a renamed binary all fail that.
enum OBJSniffer {
    private static let keywords: Set<String> = [
        "v", "vt", "vn", "vp", "f", "fo", "l", "p", "o", "g", "s", "mg", "usemtl", "mtllib", "cstype", "deg", "bmat",
        "step", "curv", "curv2", "surf", "parm", "trim", "hole", "scrv", "sp", "end", "con", "bevel", "c_interp",
        "d_interp", "lod", "shadow_obj", "trace_obj", "ctech", "stech", "maplib", "usemap", "call", "csh",
    ]
    private static let maxScannedBytes = 4 * 1024 * 1024
    private static let enoughStatements = 2_000

    static func looksLikeOBJ(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var known = 0
        var unknown = 0
        var vertices = 0
        var position = 0
        let end = min(bytes.count, maxScannedBytes)
        while position < end, known + unknown < enoughStatements {
            var lineEnd = position
            while lineEnd < end, bytes[lineEnd] != 0x0A {
                let byte = bytes[lineEnd]
                // Text only: tabs, CR, form feed, vertical tab and (old DOS tools) a trailing Ctrl-Z are allowed.
                if byte < 0x20, byte != 0x09, byte != 0x0D, byte != 0x0B, byte != 0x0C, byte != 0x1A { return false }
                lineEnd += 1
            }
            // A statement cut by the scan limit is not judged.
            if lineEnd == end, end < bytes.count { break }
            var first = position
            while first < lineEnd, isBlank(bytes[first]) { first += 1 }
            var wordEnd = first
            while wordEnd < lineEnd, !isBlank(bytes[wordEnd]) { wordEnd += 1 }
            if first < lineEnd, bytes[first] != UInt8(ascii: "#") {
                let word = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[first..<wordEnd]), as: UTF8.self)
                if keywords.contains(word) {
                    known += 1
                    if word == "v" { vertices += 1 }
                } else if word != "\u{1A}" {
                    unknown += 1
                }
            }
            position = lineEnd + 1
        }
        return vertices > 0 && unknown * 10 <= known
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }
}
