/// The few vector operations the fingerprint needs (Linux has no `simd` module), kept in a namespace so they cannot
/// clash with helpers elsewhere in the module.
enum SurfaceVector {
    @inline(__always)
    static func dot<T: BinaryFloatingPoint & SIMDScalar>(_ a: SIMD3<T>, _ b: SIMD3<T>) -> T { (a * b).sum() }

    @inline(__always)
    static func cross<T: BinaryFloatingPoint & SIMDScalar>(_ a: SIMD3<T>, _ b: SIMD3<T>) -> SIMD3<T> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }

    @inline(__always)
    static func length<T: BinaryFloatingPoint & SIMDScalar>(_ a: SIMD3<T>) -> T { (a * a).sum().squareRoot() }
}
