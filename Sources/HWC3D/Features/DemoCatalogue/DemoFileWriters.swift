import Foundation

/// Writes a `DemoMesh` as a GLB (glTF 2.0 binary) or as OBJ + MTL text, following the formats' specifications,
/// so the demo catalogue goes through the same upload analysis as any creator's file.
enum DemoFileWriters {
    static func glb(_ mesh: DemoMesh, generator: String = "hwc3d seed-demo") -> [UInt8] {
        var bin: [UInt8] = []
        var accessors: [String] = []
        var views: [String] = []
        var primitives: [String] = []
        func align() { while bin.count % 4 != 0 { bin.append(0) } }
        func view(_ bytes: [UInt8], target: Int) -> Int {
            align()
            views.append("{\"buffer\":0,\"byteOffset\":\(bin.count),\"byteLength\":\(bytes.count),\"target\":\(target)}")
            bin += bytes
            return views.count - 1
        }
        for part in mesh.parts {
            var positionBytes: [UInt8] = [], normalBytes: [UInt8] = [], indexBytes: [UInt8] = []
            var low = SIMD3<Float>(repeating: .greatestFiniteMagnitude), high = -low
            for p in part.positions {
                low = pointwiseMin(low, p)
                high = pointwiseMax(high, p)
                for v in [p.x, p.y, p.z] { withUnsafeBytes(of: v.bitPattern.littleEndian) { positionBytes += $0 } }
            }
            for n in part.normals { for v in [n.x, n.y, n.z] { withUnsafeBytes(of: v.bitPattern.littleEndian) { normalBytes += $0 } } }
            for i in part.indices { withUnsafeBytes(of: i.littleEndian) { indexBytes += $0 } }
            let pv = view(positionBytes, target: 34962), nv = view(normalBytes, target: 34962), iv = view(indexBytes, target: 34963)
            accessors.append("{\"bufferView\":\(pv),\"componentType\":5126,\"count\":\(part.positions.count),\"type\":\"VEC3\",\"min\":[\(low.x),\(low.y),\(low.z)],\"max\":[\(high.x),\(high.y),\(high.z)]}")
            accessors.append("{\"bufferView\":\(nv),\"componentType\":5126,\"count\":\(part.normals.count),\"type\":\"VEC3\"}")
            accessors.append("{\"bufferView\":\(iv),\"componentType\":5125,\"count\":\(part.indices.count),\"type\":\"SCALAR\"}")
            let a = accessors.count - 3
            primitives.append("{\"attributes\":{\"POSITION\":\(a),\"NORMAL\":\(a + 1)},\"indices\":\(a + 2),\"material\":\(part.material)}")
        }
        align()
        let materials = mesh.materials.map { m in
            "{\"name\":\"\(m.name)\",\"pbrMetallicRoughness\":{\"baseColorFactor\":[\(m.color.x),\(m.color.y),\(m.color.z),1],\"metallicFactor\":0,\"roughnessFactor\":0.7}}"
        }
        let json = """
            {"asset":{"version":"2.0","generator":"\(generator)"},"scene":0,"scenes":[{"nodes":[0]}],\
            "nodes":[{"mesh":0,"name":"Model"}],"meshes":[{"primitives":[\(primitives.joined(separator: ","))]}],\
            "materials":[\(materials.joined(separator: ","))],"buffers":[{"byteLength":\(bin.count)}],\
            "bufferViews":[\(views.joined(separator: ","))],"accessors":[\(accessors.joined(separator: ","))]}
            """
        var jsonBytes = Array(json.utf8)
        while jsonBytes.count % 4 != 0 { jsonBytes.append(0x20) }
        var out: [UInt8] = []
        func u32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { out += $0 } }
        out += Array("glTF".utf8)
        u32(2)
        u32(12 + 8 + jsonBytes.count + 8 + bin.count)
        u32(jsonBytes.count)
        out += Array("JSON".utf8)
        out += jsonBytes
        u32(bin.count)
        out += [0x42, 0x49, 0x4E, 0x00]
        out += bin
        return out
    }

    /// OBJ with its faces grouped by material (`usemtl`), 1-based indices, positions and normals.
    static func obj(_ mesh: DemoMesh, name: String) -> [UInt8] {
        var text = "# \(name), written by hwc3d seed-demo\no \(name)\n"
        var offset = 1
        for part in mesh.parts {
            for p in part.positions { text += "v \(p.x) \(p.y) \(p.z)\n" }
            for n in part.normals { text += "vn \(n.x) \(n.y) \(n.z)\n" }
            text += "usemtl \(mesh.materials[part.material].name)\n"
            for t in stride(from: 0, to: part.indices.count, by: 3) {
                let face = (0..<3).map { k -> String in
                    let index = Int(part.indices[t + k]) + offset
                    return "\(index)//\(index)"
                }
                text += "f \(face.joined(separator: " "))\n"
            }
            offset += part.positions.count
        }
        return Array(text.utf8)
    }
}
