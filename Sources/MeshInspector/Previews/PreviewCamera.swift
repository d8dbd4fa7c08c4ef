import Foundation

/// Where a preview looks from: the direction from the model towards the camera, which way is up in the picture,
/// and whether the projection is perspective or orthographic (the sheet's front, side and top views).
struct PreviewViewpoint {
    var back: SIMD3<Float>
    var upHint: SIMD3<Float>
    var orthographic: Bool

    /// Perspective, from `azimuth` around the vertical axis (from +Z towards +X) and `elevation` above the horizon.
    static func orbit(azimuthDegrees: Float, elevationDegrees: Float) -> PreviewViewpoint {
        let degrees = Float.pi / 180
        let azimuth = azimuthDegrees * degrees
        let elevation = elevationDegrees.clamped(to: -89...89) * degrees
        return PreviewViewpoint(
            back: SIMD3(sin(azimuth) * cos(elevation), sin(elevation), cos(azimuth) * cos(elevation)),
            upHint: SIMD3(0, 1, 0), orthographic: false)
    }

    /// glTF's front is +Z, its right +X, its up +Y; the top view has the front at the bottom of the picture.
    static let front = PreviewViewpoint(back: SIMD3(0, 0, 1), upHint: SIMD3(0, 1, 0), orthographic: true)
    static let side = PreviewViewpoint(back: SIMD3(1, 0, 0), upHint: SIMD3(0, 1, 0), orthographic: true)
    static let top = PreviewViewpoint(back: SIMD3(0, 1, 0), upHint: SIMD3(0, 0, -1), orthographic: true)
}

/// A camera looking at the model's bounding sphere from a viewpoint, then framed on the model's actual
/// silhouette: every vertex is projected once and the picture is scaled and centred so their extent fills it up to
/// the margin. (Fitting the sphere alone leaves a flat or long model small in the middle of the picture.)
struct PreviewCamera {
    let eye: SIMD3<Float>
    let right: SIMD3<Float>
    let up: SIMD3<Float>
    /// Points from the model towards the camera.
    let back: SIMD3<Float>
    let orthographic: Bool
    /// Sample-buffer pixels per unit of the image plane (at distance 1 in perspective), and the plane point at the
    /// picture's centre.
    private(set) var scale: Float
    private let centre: SIMD2<Float>
    private let halfSize: SIMD2<Float>
    /// Orthographic depth is stored as `depthBase − distance`, positive and larger for nearer points, and linear
    /// across the screen as the rasteriser interpolates it.
    private let depthBase: Float

    /// nil when there is nothing to frame.
    init?(
        framing positions: [Float], bounds: (min: SIMD3<Float>, max: SIMD3<Float>)?, width: Int, height: Int,
        viewpoint: PreviewViewpoint, verticalFieldOfViewDegrees: Float, margin: Float
    ) {
        guard let bounds else { return nil }
        let middle = (bounds.min + bounds.max) / 2
        var radius = ((bounds.max - bounds.min) * (bounds.max - bounds.min)).sum().squareRoot() / 2
        if !(radius > 0) || !radius.isFinite { radius = 1 }
        back = simdNormalize(viewpoint.back)
        right = simdNormalize(simdCross(viewpoint.upHint, back))
        up = simdCross(back, right)
        orthographic = viewpoint.orthographic

        let degrees = Float.pi / 180
        let aspect = Float(width) / Float(height)
        let halfVertical = verticalFieldOfViewDegrees * degrees / 2
        let halfNarrowest = Swift.min(halfVertical, atan(tan(halfVertical) * aspect))
        // The whole sphere sits in front of the camera, so every vertex has a positive depth.
        let distance = orthographic ? 2 * radius : radius / sin(halfNarrowest)
        eye = middle + back * distance
        depthBase = 4 * radius

        var low = SIMD2<Float>(repeating: .infinity)
        var high = SIMD2<Float>(repeating: -.infinity)
        let (eye, right, up, back, orthographic) = (eye, right, up, back, orthographic)
        positions.withUnsafeBufferPointer { values in
            var index = 0
            while index + 2 < values.count {
                let offset = SIMD3(values[index], values[index + 1], values[index + 2]) - eye
                var plane = SIMD2((offset * right).sum(), (offset * up).sum())
                if !orthographic { plane /= -(offset * back).sum() }
                low = pointwiseMin(low, plane)
                high = pointwiseMax(high, plane)
                index += 3
            }
        }
        let usable = SIMD2(Float(width), Float(height)) * (1 - 2 * margin)
        let extent = high - low
        let natural = orthographic ? Float(height) / (2 * radius) : Float(height) / 2 / tan(halfVertical)
        var fit = natural
        if extent.x > 1e-9 { fit = usable.x / extent.x }
        if extent.y > 1e-9 { fit = Swift.min(extent.x > 1e-9 ? fit : .infinity, usable.y / extent.y) }
        scale = fit.isFinite && fit > 0 ? fit : natural
        centre = (low + high) / 2
        halfSize = SIMD2(Float(width), Float(height)) / 2
    }

    /// The same camera at another scale: the sheet draws its three axis views at one scale so they line up.
    func scaled(to newScale: Float) -> PreviewCamera {
        var copy = self
        copy.scale = newScale
        return copy
    }

    /// Sample-buffer position (x right, y down) and depth key (larger is nearer, linear across the screen after
    /// the perspective divide: inverse depth, or `depthBase − distance` for orthographic views).
    @inline(__always)
    func project(_ point: SIMD3<Float>) -> (x: Float, y: Float, inverseDepth: Float) {
        let offset = point - eye
        let distance = -(offset * back).sum()
        var plane = SIMD2((offset * right).sum(), (offset * up).sum())
        let key: Float
        if orthographic {
            key = depthBase - distance
        } else {
            key = 1 / distance
            plane *= key
        }
        let screen = (plane - centre) * scale
        return (halfSize.x + screen.x, halfSize.y - screen.y, key)
    }

    /// The direction towards the camera from `point` (constant for orthographic views).
    @inline(__always)
    func towardsEye(from point: SIMD3<Float>) -> SIMD3<Float> {
        orthographic ? back : eye - point
    }
}
