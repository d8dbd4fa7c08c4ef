import Foundation

/// An axis-aligned box in some glTF space.
struct GLTFBox {
    var low: [Double]
    var high: [Double]

    func union(_ other: GLTFBox) -> GLTFBox {
        GLTFBox(low: zip(low, other.low).map { min($0, $1) }, high: zip(high, other.high).map { max($0, $1) })
    }
}

/// Grows the scene's box from mesh boxes placed by their nodes' world matrices.
///
/// The specification requires POSITION accessors to carry min/max, so a box normally costs no data reads. For
/// files that omit them, float positions are scanned once per accessor; other encodings are left out with a warning.
/// Each mesh box (already a union of its primitives) is transformed as a box, so for rotated nodes the result can be
/// slightly larger than the box of the transformed vertices.
struct GLTFBoundsAccumulator {
    private var low = [Double.infinity, .infinity, .infinity]
    private var high = [-Double.infinity, -.infinity, -.infinity]

    var box: BoundingBox? {
        guard low.allSatisfy(\.isFinite), high.allSatisfy(\.isFinite) else { return nil }
        return BoundingBox(min: low, max: high)
    }

    mutating func add(_ local: GLTFBox, world: [Double]) {
        for corner in 0..<8 {
            let x = corner & 1 == 0 ? local.low[0] : local.high[0]
            let y = corner & 2 == 0 ? local.low[1] : local.high[1]
            let z = corner & 4 == 0 ? local.low[2] : local.high[2]
            let point = GLTFSceneGraph.transform(world, x, y, z)
            for (axis, value) in [point.0, point.1, point.2].enumerated() where value.isFinite {
                low[axis] = min(low[axis], value)
                high[axis] = max(high[axis], value)
            }
        }
    }

    /// The box of one POSITION accessor in its mesh's space, nil when it is empty or cannot be known.
    static func localBox(
        ofAccessor index: Int, document: GLTFDocument, buffers: inout GLTFBufferStore, warnings: inout Warnings
    ) throws -> GLTFBox? {
        guard index < document.accessors.count else { return nil }
        let accessor = document.accessors[index]
        guard accessor.count > 0 else { return nil }
        if let min = accessor.min, let max = accessor.max, min.count >= 3, max.count >= 3 {
            // Normalised integers (KHR_mesh_quantization) keep raw values in min/max; signed ones clamp at -1.
            let scale = dequantizationScale(accessor)
            let floor = accessor.normalized ? -1.0 : -Double.infinity
            return GLTFBox(low: min.prefix(3).map { Swift.max($0 * scale, floor) }, high: max.prefix(3).map { $0 * scale })
        }
        if let scanned = try scanFloatPositions(accessor: index, document: document, buffers: &buffers) {
            return scanned
        }
        warnings.add("POSITION accessor \(index) has no min/max, so the bounding box leaves it out.")
        return nil
    }

    private static func dequantizationScale(_ accessor: GLTFDocument.Accessor) -> Double {
        guard accessor.normalized else { return 1 }
        switch accessor.componentType {
        case 5120: return 1 / 127
        case 5121: return 1 / 255
        case 5122: return 1 / 32767
        case 5123: return 1 / 65535
        default: return 1
        }
    }

    private static func scanFloatPositions(
        accessor index: Int, document: GLTFDocument, buffers: inout GLTFBufferStore
    ) throws -> GLTFBox? {
        let accessor = document.accessors[index]
        guard accessor.componentType == 5126, accessor.componentCount == 3, !accessor.isSparse,
              case .success(let layout?) = try buffers.layout(ofAccessor: index, elementSize: 12)
        else { return nil }
        var low = [Float.infinity, .infinity, .infinity]
        var high = [-Float.infinity, -.infinity, -.infinity]
        layout.region.withBytes { bytes in
            for element in 0..<layout.count {
                let offset = layout.offset + element * layout.stride
                for axis in 0..<3 {
                    let value = bytes.loadUnaligned(fromByteOffset: offset + axis * 4, as: Float.self)
                    guard value.isFinite else { continue }
                    low[axis] = min(low[axis], value)
                    high[axis] = max(high[axis], value)
                }
            }
        }
        guard low.allSatisfy(\.isFinite) else { return nil }
        return GLTFBox(low: low.map(Double.init), high: high.map(Double.init))
    }
}
