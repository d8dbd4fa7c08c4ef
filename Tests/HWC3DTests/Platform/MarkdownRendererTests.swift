import Foundation
import Testing

@testable import HWC3D

@Suite("Markdown to allowlisted HTML")
struct MarkdownRendererTests {
    @Test("markdown renders: headings, emphasis, lists, code, quotes, links and images with safe addresses")
    func rendersMarkdown() {
        let html = MarkdownRenderer.html("""
            # Retopology

            Some **bold** and *italic* text with `code`.

            - one
            - two

            > quoted

            [docs](https://example.com/a?b=1&c=2) and ![wire](https://cdn.example.com/w.png)

            ```
            let x = 1 < 2
            ```
            """)
        #expect(html.contains("<h1>Retopology</h1>"))
        #expect(html.contains("<strong>bold</strong>"))
        #expect(html.contains("<em>italic</em>"))
        #expect(html.contains("<code>code</code>"))
        #expect(html.contains("<ul><li>one</li><li>two</li></ul>"))
        #expect(html.contains("<blockquote>"))
        #expect(html.contains("<a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"nofollow ugc noopener noreferrer\">docs</a>"))
        #expect(html.contains("<img src=\"https://cdn.example.com/w.png\" alt=\"wire\">"))
        #expect(html.contains("1 &lt; 2"))
    }

    /// Each hostile input, and what must not survive it in any form.
    static let hostile: [(String, [String])] = [
        ("<script>alert(1)</script>hello", ["<script", "alert(1)"]),
        ("<SCRIPT SRC=//evil.example/x.js></SCRIPT>", ["<script", "evil"]),
        ("<img src=x onerror=alert(1)>", ["onerror", "<img src=\"x\""]),
        ("<img src=\"https://ok.example/a.png\" onload=\"alert(1)\">", ["onload"]),
        ("[click](javascript:alert(1))", ["javascript:"]),
        ("[click](JaVaScRiPt:alert(1))", ["javascript:", "JaVaScRiPt:"]),
        ("<a href=\"jav&#x09;ascript:alert(1)\">x</a>", ["ascript:", "href"]),
        ("<a href=\"&#106;avascript:alert(1)\">x</a>", ["avascript", "href"]),
        ("<a href=\"java\nscript:alert(1)\">x</a>", ["script:", "href"]),
        ("[x](vbscript:msgbox(1))", ["vbscript"]),
        ("![x](data:text/html;base64,PHNjcmlwdD4=)", ["data:"]),
        ("<a href=\"//evil.example\">x</a>", ["evil.example"]),
        ("<iframe src=\"https://evil.example\"></iframe>", ["<iframe", "evil"]),
        ("<style>body{display:none}</style>", ["<style", "display"]),
        ("<div style=\"position:fixed\" onclick=\"x()\">hi</div>", ["style", "onclick", "<div"]),
        ("<svg><script>alert(1)</script></svg>", ["<svg", "alert"]),
        ("<a href=\"https://ok.example\" onmouseover=\"alert(1)\">x</a>", ["onmouseover"]),
        ("<img src=\"https://ok.example/a.png\"/onerror=alert(1)>", ["onerror"]),
        ("<p title=\"a\" \"onclick=\"alert(1)\">x</p>", ["onclick"]),
        ("<a href=\"https://ok.example\"title=\"x\"onclick=\"alert(1)\">x</a>", ["onclick"]),
        ("<!-- <script>alert(1)</script> -->", ["<script", "alert"]),
        ("<<script>script>alert(1)<</script>/script>", ["<script"]),
        ("<form action=\"https://evil.example\"><input name=x></form>", ["<form", "<input"]),
        ("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">", ["<meta", "refresh"]),
    ]

    /// Markup in the output may be escaped text (harmless); what counts is what is left inside tags.
    @Test("scripts, event handlers, javascript: and data: addresses and foreign tags never survive as markup", arguments: hostile.indices)
    func hostileMarkdown(_ index: Int) throws {
        let (input, forbidden) = Self.hostile[index]
        let html = MarkdownRenderer.html(input)
        let tags = try Self.tags(in: html)
        for tag in tags {
            #expect(HTMLAllowlist.tags.contains(tag.name), "\(input) -> \(html)")
            let allowed = (HTMLAllowlist.attributes[tag.name] ?? []).union(tag.name == "a" ? ["rel"] : [])
            #expect(tag.attributes.allSatisfy { allowed.contains($0) }, "\(input) -> \(html)")
            for needle in forbidden {
                #expect(!tag.text.lowercased().contains(needle.lowercased()), "\(input) -> \(html)")
            }
        }
    }

    /// Every `<...>` of the output: its name, attribute names and text. A tag that does not have the form the
    /// allowlist writes (`<name attr="value">`) fails the test.
    static func tags(in html: String) throws -> [(name: String, attributes: [String], text: String)] {
        let tag = try Regex(#"<(/?)([a-z0-9]+)((?: [a-z]+="[^"<>]*")*)>"#)
        let attribute = try Regex(#" ([a-z]+)=""#)
        var result: [(String, [String], String)] = []
        var rest = Substring(html)
        while let open = rest.firstIndex(of: "<") {
            let candidate = rest[open...]
            guard let match = try tag.prefixMatch(in: candidate) else {
                Issue.record("malformed markup in \(html) at \(candidate.prefix(40))")
                return result
            }
            let text = String(candidate[match.range])
            let name = String(match.output[2].substring ?? "")
            let attributes = (match.output[3].substring.map(String.init) ?? "").matches(of: attribute).compactMap { $0.output[1].substring.map(String.init) }
            result.append((name, attributes, text))
            rest = candidate[match.range.upperBound...]
        }
        return result
    }

    @Test("the allowlist balances elements and escapes stray markup")
    func balancesAndEscapes() {
        #expect(HTMLAllowlist.sanitize("<strong>open") == "<strong>open</strong>")
        #expect(HTMLAllowlist.sanitize("</em>stray") == "stray")
        #expect(HTMLAllowlist.sanitize("a < b && c > d") == "a &lt; b &amp;&amp; c &gt; d")
        #expect(HTMLAllowlist.sanitize("<ol start=\"3\" type=\"a\"><li>x</li></ol>") == "<ol start=\"3\"><li>x</li></ol>")
        #expect(HTMLAllowlist.sanitize("<a href=\"/models/chair\" title='say \"hi\"'>x</a>")
            == "<a href=\"/models/chair\" title=\"say &quot;hi&quot;\" rel=\"nofollow ugc noopener noreferrer\">x</a>")
        #expect(HTMLAllowlist.sanitize("&copy; &#169; &#xA9; &bogus") == "&copy; &#169; &#xA9; &amp;bogus")
    }
}
