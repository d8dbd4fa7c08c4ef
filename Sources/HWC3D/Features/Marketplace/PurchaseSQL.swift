import Foundation
import SQLKit

/// SQL pieces over `purchases` for the one-statement reads of other features.
enum PurchaseSQL {
    /// True when `buyerID` holds an active purchase of the model whose id is in `modelIDColumn`: the same rule as
    /// `Purchase.owns`, for the detail page's statement.
    static func isOwned(by buyerID: UUID, modelIDColumn: String) -> SQLQueryString {
        """
        EXISTS (SELECT 1 FROM purchases WHERE buyer_id = \(bind: buyerID) AND model_id = \(unsafeRaw: modelIDColumn) \
        AND status = \(bind: Purchase.Status.active.rawValue))
        """
    }
}
