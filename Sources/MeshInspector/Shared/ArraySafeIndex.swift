extension Array {
    /// The element at `index`, or nil outside the array: for indices read from a file.
    subscript(safe index: Int) -> Element? { index >= 0 && index < count ? self[index] : nil }
}
