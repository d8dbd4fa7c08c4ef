import SQLKit

/// A LIKE pattern with `\` as the escape character, the same on SQLite and PostgreSQL.
struct SQLLikePattern: SQLExpression {
    let pattern: String
    init(_ pattern: String) { self.pattern = pattern }

    /// Matches text containing `term`, whose `%` and `_` are characters, not wildcards.
    static func containing(_ term: String) -> SQLLikePattern {
        SQLLikePattern("%" + escape(term) + "%")
    }

    static func escape(_ term: String) -> String {
        term.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    func serialize(to serializer: inout SQLSerializer) {
        serializer.write(bind: pattern)
        serializer.write(" ESCAPE '\\'")
    }
}
