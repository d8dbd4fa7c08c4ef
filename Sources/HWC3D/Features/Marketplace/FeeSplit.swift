import Foundation

/// The one place a price is split into the platform's fee and the seller's earning. The fee is
/// `price × bps / 10 000` rounded half up to a whole cent; the seller earns the rest, so
/// `price = fee + earning` holds exactly for every sale, and refunds reverse the same two numbers.
struct FeeSplit: Equatable, Sendable {
    let priceCents: Int
    let feeCents: Int
    let earningCents: Int

    init(priceCents: Int, feeBps: Int) {
        precondition(priceCents >= 0 && (0...10_000).contains(feeBps), "FeeSplit takes validated prices and fees")
        self.priceCents = priceCents
        // Integer half-up: adding half the divisor before dividing rounds .5 upwards, with no floating point.
        self.feeCents = (priceCents * feeBps + 5_000) / 10_000
        self.earningCents = priceCents - feeCents
    }
}
