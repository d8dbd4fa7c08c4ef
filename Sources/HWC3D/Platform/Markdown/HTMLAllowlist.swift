import Foundation

/// Keeps HTML to an allowlist of tags and attributes, rebuilding every kept tag from its parsed parts, so nothing
/// of the input reaches the output unexamined:
/// - tags outside the list are dropped; `script`, `style` and their like are dropped with their content;
/// - comments, doctypes and processing instructions are dropped; a `<` that does not open a tag is escaped;
/// - attributes outside the list are dropped (event handlers, `style`, `class`, `id`);
/// - `href` keeps http, https and mailto addresses and relative paths; `src` http and https only. Entities are
///   decoded and control characters and spaces removed before the scheme is read, as browsers do, so
///   `jav&#x09;ascript:` is seen for what it is;
/// - every kept attribute value is re-escaped and quoted; links get `rel="nofollow ugc noopener noreferrer"`;
/// - elements are balanced: stray closing tags are dropped and open ones closed at the end.
enum HTMLAllowlist {
    static let tags: Set<String> = [
        "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "del", "s", "code", "pre",
        "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
    ]
    static let voidTags: Set<String> = ["br", "hr", "img"]
    /// Dropped together with everything up to their closing tag.
    static let opaqueTags: Set<String> = [
        "script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "title", "xmp", "svg", "math",
        "noembed", "noframes", "plaintext", "select",
    ]
    static let attributes: [String: Set<String>] = [
        "a": ["href", "title"], "img": ["src", "alt", "title"], "ol": ["start"], "th": ["align"], "td": ["align"],
    ]

    static func sanitize(_ html: String) -> String {
        let input = Array(html.unicodeScalars)
        var output = String.UnicodeScalarView()
        var open: [String] = []
        var index = 0
        while index < input.count {
            let scalar = input[index]
            if scalar == "<" {
                if let comment = skipMarkup(input, from: index) {
                    index = comment
                    continue
                }
                if let tag = Tag.parse(input, from: index) {
                    index = tag.end
                    if tag.closing {
                        if let position = open.lastIndex(of: tag.name) {
                            for name in open[position...].reversed() { output.append(contentsOf: "</\(name)>".unicodeScalars) }
                            open.removeSubrange(position...)
                        }
                    } else if opaqueTags.contains(tag.name) {
                        index = endOfOpaque(input, name: tag.name, from: index)
                    } else if tags.contains(tag.name) {
                        output.append(contentsOf: render(tag).unicodeScalars)
                        if !voidTags.contains(tag.name) && !tag.selfClosing { open.append(tag.name) }
                    }
                    continue
                }
                output.append(contentsOf: "&lt;".unicodeScalars)
            } else if scalar == ">" {
                output.append(contentsOf: "&gt;".unicodeScalars)
            } else if scalar == "&" {
                output.append(contentsOf: (entityLength(input, at: index) == nil ? "&amp;" : "&").unicodeScalars)
            } else if scalar.value == 0 {
                output.append("\u{FFFD}")
            } else {
                output.append(scalar)
            }
            index += 1
        }
        for name in open.reversed() { output.append(contentsOf: "</\(name)>".unicodeScalars) }
        return String(output)
    }

    // MARK: - Tags

    struct Tag {
        var name: String
        var closing: Bool
        var selfClosing = false
        var attributes: [(name: String, value: String)] = []
        var end: Int

        /// `<name attr="v" attr='v' attr=v attr>` or `</name>`, names ASCII letters and digits; nil if the text at
        /// `start` is anything else.
        static func parse(_ s: [Unicode.Scalar], from start: Int) -> Tag? {
            var i = start + 1
            let closing = i < s.count && s[i] == "/"
            if closing { i += 1 }
            let nameStart = i
            while i < s.count, isNameScalar(s[i]) { i += 1 }
            guard i > nameStart, s[nameStart].properties.isAlphabetic else { return nil }
            var tag = Tag(name: String(String.UnicodeScalarView(s[nameStart..<i])).lowercased(), closing: closing, end: i)
            while true {
                while i < s.count, isSpace(s[i]) { i += 1 }
                guard i < s.count else { return nil }
                if s[i] == ">" { tag.end = i + 1; return tag }
                if s[i] == "/" {
                    if i + 1 < s.count, s[i + 1] == ">" { tag.selfClosing = true; tag.end = i + 2; return tag }
                    i += 1
                    continue
                }
                let attributeStart = i
                while i < s.count, !isSpace(s[i]), s[i] != "=", s[i] != ">", s[i] != "/", s[i] != "\"", s[i] != "'", s[i] != "<" { i += 1 }
                guard i > attributeStart else { return nil }
                let name = String(String.UnicodeScalarView(s[attributeStart..<i])).lowercased()
                while i < s.count, isSpace(s[i]) { i += 1 }
                var value = ""
                if i < s.count, s[i] == "=" {
                    i += 1
                    while i < s.count, isSpace(s[i]) { i += 1 }
                    guard i < s.count else { return nil }
                    if s[i] == "\"" || s[i] == "'" {
                        let quote = s[i]
                        let valueStart = i + 1
                        i = valueStart
                        while i < s.count, s[i] != quote { i += 1 }
                        guard i < s.count else { return nil }
                        value = String(String.UnicodeScalarView(s[valueStart..<i]))
                        i += 1
                    } else {
                        let valueStart = i
                        while i < s.count, !isSpace(s[i]), s[i] != ">" { i += 1 }
                        value = String(String.UnicodeScalarView(s[valueStart..<i]))
                    }
                }
                if !closing { tag.attributes.append((name, value)) }
            }
        }

        private static func isNameScalar(_ c: Unicode.Scalar) -> Bool {
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c))
        }
    }

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\n" || c == "\t" || c == "\r" || c == "\u{0C}" }

    private static func render(_ tag: Tag) -> String {
        var result = "<" + tag.name
        let allowed = attributes[tag.name] ?? []
        var seen: Set<String> = []
        for (name, rawValue) in tag.attributes where allowed.contains(name) && !seen.contains(name) {
            let value = decodeEntities(rawValue)
            switch name {
            case "href": guard isSafeURL(value, schemes: ["http", "https", "mailto"], allowRelative: true) else { continue }
            case "src": guard isSafeURL(value, schemes: ["http", "https"], allowRelative: false) else { continue }
            case "start": guard let number = Int(value), (0...1_000_000).contains(number) else { continue }
            case "align": guard ["left", "right", "center"].contains(value.lowercased()) else { continue }
            default: break
            }
            seen.insert(name)
            result += " \(name)=\"\(escapeAttribute(value))\""
        }
        if tag.name == "a" { result += " rel=\"nofollow ugc noopener noreferrer\"" }
        return result + ">"
    }

    /// The scheme as a browser reads it: after entity decoding, with ASCII controls and spaces removed.
    static func isSafeURL(_ value: String, schemes: Set<String>, allowRelative: Bool) -> Bool {
        let compact = String(String.UnicodeScalarView(value.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }))
        guard !compact.isEmpty else { return false }
        if let colon = compact.firstIndex(of: ":") {
            let beforeColon = compact[..<colon]
            // A colon after a path, query or fragment start is not a scheme.
            if !beforeColon.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
                return schemes.contains(beforeColon.lowercased())
            }
        }
        // Protocol-relative addresses (`//host`, `\\host`) leave the site.
        guard allowRelative, !compact.hasPrefix("//"), !compact.hasPrefix("\\"), !compact.hasPrefix("/\\") else { return false }
        return true
    }

    private static func escapeAttribute(_ value: String) -> String {
        var out = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\u{0}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    // MARK: - Entities

    private static let named: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}", "colon": ":", "tab": "\t",
        "newline": "\n", "sol": "/", "lpar": "(", "rpar": ")", "period": ".", "comma": ",",
    ]

    /// The length of a character reference at `index` (`&name;`, `&#123;`, `&#x1F;`), or nil.
    static func entityLength(_ s: [Unicode.Scalar], at index: Int) -> Int? {
        var i = index + 1
        guard i < s.count else { return nil }
        if s[i] == "#" {
            i += 1
            let hex = i < s.count && (s[i] == "x" || s[i] == "X")
            if hex { i += 1 }
            let digitsStart = i
            while i < s.count, i - digitsStart < 8,
                hex ? s[i].properties.isASCIIHexDigit : ("0"..."9").contains(s[i]) { i += 1 }
            guard i > digitsStart, i < s.count, s[i] == ";" else { return nil }
            return i + 1 - index
        }
        let nameStart = i
        while i < s.count, i - nameStart < 32, s[i].isASCII, s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) { i += 1 }
        guard i > nameStart, i < s.count, s[i] == ";" else { return nil }
        return i + 1 - index
    }

    /// Decodes character references, with or without their `;` as browsers accept in attributes.
    static func decodeEntities(_ value: String) -> String {
        let s = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "&", i + 1 < s.count else { out.append(s[i]); i += 1; continue }
            var j = i + 1
            if s[j] == "#" {
                j += 1
                let hex = j < s.count && (s[j] == "x" || s[j] == "X")
                if hex { j += 1 }
                let start = j
                while j < s.count, hex ? s[j].properties.isASCIIHexDigit : ("0"..."9").contains(s[j]) { j += 1 }
                if j > start, let number = UInt32(String(String.UnicodeScalarView(s[start..<min(j, start + 8)])), radix: hex ? 16 : 10) {
                    out.append(Unicode.Scalar(number) ?? "\u{FFFD}")
                    i = j < s.count && s[j] == ";" ? j + 1 : j
                    continue
                }
            } else {
                let start = j
                while j < s.count, s[j].isASCII, s[j].properties.isAlphabetic { j += 1 }
                let name = String(String.UnicodeScalarView(s[start..<j])).lowercased()
                if let scalar = named[name] {
                    out.append(scalar)
                    i = j < s.count && s[j] == ";" ? j + 1 : j
                    continue
                }
            }
            out.append(s[i])
            i += 1
        }
        return String(out)
    }

    // MARK: - Skipped markup

    /// The end of a comment, doctype, CDATA section or processing instruction starting at `index`, or nil.
    private static func skipMarkup(_ s: [Unicode.Scalar], from index: Int) -> Int? {
        guard index + 1 < s.count, s[index + 1] == "!" || s[index + 1] == "?" else { return nil }
        if index + 3 < s.count, s[index + 2] == "-", s[index + 3] == "-" {
            var i = index + 4
            while i + 2 < s.count {
                if s[i] == "-", s[i + 1] == "-", s[i + 2] == ">" { return i + 3 }
                i += 1
            }
            return s.count
        }
        var i = index + 2
        while i < s.count, s[i] != ">" { i += 1 }
        return min(i + 1, s.count)
    }

    /// Past `</name>` (any case), or the end of the input when it never closes.
    private static func endOfOpaque(_ s: [Unicode.Scalar], name: String, from index: Int) -> Int {
        var i = index
        while i < s.count {
            if s[i] == "<", i + 1 < s.count, s[i + 1] == "/", let tag = Tag.parse(s, from: i), tag.name == name {
                return tag.end
            }
            i += 1
        }
        return s.count
    }
}
