/// A Draco mesh as glTF's KHR_draco_mesh_compression uses it, decoded far enough for Blender's counts and the
/// previews: the faces (point ids, three per triangle), the number of points, and POSITION when it could be decoded.
struct DracoMesh {
    var pointCount: Int
    var faces: [UInt32]
    /// x, y, z per point; nil when the positions could not be decoded (the counts stand without them).
    var positions: [Float]?
}

/// Decodes Draco mesh bitstreams, version 2.2 (what draco 1.4 and 1.5 encoders write): the header, metadata
/// (skipped), sequential or edgebreaker connectivity, then attributes as far as POSITION.
///
/// Every declared count is checked against the stream's length and `InspectionLimits` before anything is sized
/// from it; corrupt streams fail with `.malformed`.
enum DracoDecoder {
    static func corrupt(_ what: String) -> MeshInspectionError {
        MeshInspectionError(.malformed, "A Draco-compressed primitive is corrupt: \(what).")
    }

    static func decode(_ bytes: [UInt8], positionAttribute: Int?, limits: InspectionLimits) throws -> DracoMesh {
        var buffer = DracoBuffer(bytes)
        guard buffer.remaining >= 11, bytes[0..<5].elementsEqual("DRACO".utf8) else {
            throw corrupt("it does not start with the Draco header")
        }
        try buffer.skip(5)
        let major = try buffer.uint8(), minor = try buffer.uint8()
        guard major == 2, minor == 2 else {
            throw MeshInspectionError(.unsupported, "Draco bitstream version \(major).\(minor) is not supported; only 2.2 is.")
        }
        let geometryType = try buffer.uint8()
        guard geometryType == 1 else { throw MeshInspectionError(.unsupported, "The Draco stream holds a point cloud, not a mesh.") }
        let method = try buffer.uint8()
        let flags = try buffer.uint16()
        if flags & 0x8000 != 0 { try skipMetadata(&buffer) }

        var mesh: DracoMesh
        var connectivity: DracoConnectivity
        switch method {
        case 0:
            (mesh, connectivity) = try sequential(&buffer, limits: limits)
        case 1:
            let edgebreaker = try DracoEdgebreaker(&buffer, limits: limits)
            mesh = DracoMesh(pointCount: edgebreaker.pointCount, faces: edgebreaker.faces, positions: nil)
            connectivity = .edgebreaker(edgebreaker)
        default:
            throw corrupt("its encoding method \(method) is unknown")
        }
        guard mesh.pointCount <= limits.maxElements else {
            throw MeshInspectionError(.limitExceeded, "A Draco mesh declares \(mesh.pointCount) points; the limit is \(limits.maxElements).")
        }
        if let positionAttribute {
            // Positions feed previews only: counts stand even when they cannot be decoded.
            mesh.positions = try? DracoAttributes.positions(
                &buffer, connectivity: connectivity, pointCount: mesh.pointCount, uniqueID: positionAttribute,
                limits: limits)
        }
        return mesh
    }

    /// Attribute and geometry metadata: names and binary entries, skipped without keeping anything.
    private static func skipMetadata(_ buffer: inout DracoBuffer) throws {
        let attributeMetadata = try buffer.count()
        guard attributeMetadata <= buffer.remaining else { throw corrupt("its metadata is larger than the stream") }
        for _ in 0..<attributeMetadata {
            _ = try buffer.count()
            try skipMetadataNode(&buffer)
        }
        try skipMetadataNode(&buffer)
    }

    /// One metadata node and its nested sub-metadata, walked with an explicit stack (no recursion).
    private static func skipMetadataNode(_ buffer: inout DracoBuffer) throws {
        var pending = 1
        var isRoot = true
        while pending > 0 {
            pending -= 1
            if !isRoot { try buffer.skip(Int(try buffer.uint8())) }   // sub-metadata name
            isRoot = false
            let entries = try buffer.count()
            guard entries <= buffer.remaining else { throw corrupt("its metadata is larger than the stream") }
            for _ in 0..<entries {
                try buffer.skip(Int(try buffer.uint8()))
                let size = try buffer.count()
                guard size > 0 else { throw corrupt("a metadata entry is empty") }
                try buffer.skip(size)
            }
            let children = try buffer.count()
            guard children <= buffer.remaining else { throw corrupt("its metadata is larger than the stream") }
            pending += children
        }
    }

    /// Sequential connectivity: point ids stored directly, or delta-coded through the symbol coder.
    private static func sequential(_ buffer: inout DracoBuffer, limits: InspectionLimits) throws -> (DracoMesh, DracoConnectivity) {
        let faceCount = try buffer.count()
        let pointCount = try buffer.count()
        guard faceCount <= limits.maxElements / 3, faceCount <= buffer.remaining / 3 else {
            throw MeshInspectionError(.limitExceeded, "A Draco mesh declares \(faceCount) faces, more than its data or the limits allow.")
        }
        let method = try buffer.uint8()
        var faces = [UInt32](repeating: 0, count: faceCount * 3)
        if method == 0 {
            let coded = try DracoEntropy.symbols(faceCount * 3, from: &buffer)
            var last: Int64 = 0
            for (index, value) in coded.enumerated() {
                let difference = Int64(value >> 1)
                last += value & 1 != 0 ? -difference : difference
                guard last >= 0, last <= Int64(Int32.max) else { throw corrupt("a face index is out of range") }
                faces[index] = UInt32(last)
            }
        } else {
            guard faceCount * 3 <= buffer.remaining else { throw corrupt("its faces run past the end") }
            for index in 0..<(faceCount * 3) {
                if pointCount < 256 {
                    faces[index] = UInt32(try buffer.uint8())
                } else if pointCount < 1 << 16 {
                    faces[index] = UInt32(try buffer.uint16())
                } else if pointCount < 1 << 21 {
                    faces[index] = UInt32(try buffer.varint())
                } else {
                    faces[index] = try buffer.uint32()
                }
            }
        }
        guard faces.allSatisfy({ Int($0) < pointCount }) else { throw corrupt("a face uses a point that does not exist") }
        return (DracoMesh(pointCount: pointCount, faces: faces, positions: nil), .sequential)
    }
}

/// Which connectivity the attributes are laid out by.
enum DracoConnectivity {
    case sequential
    case edgebreaker(DracoEdgebreaker)
}
