import Foundation
import Ink

/// User markdown (posts, community rules) to HTML that a page may insert as it is. Ink renders, and passes raw
/// HTML and any link through as markdown allows; `HTMLAllowlist` then keeps only the tags and attributes a post
/// needs, so the safety of what the API returns never depends on the markdown parser.
///
/// Rendered once when the text is written and stored beside it, so reads serve stored HTML. A change to the
/// allowlist applies to text written after it (rerender stored text if it ever has to tighten).
enum MarkdownRenderer {
    static func html(_ markdown: String) -> String {
        let parser = MarkdownParser()
        return HTMLAllowlist.sanitize(parser.html(from: markdown))
    }
}
