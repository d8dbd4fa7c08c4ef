import Foundation

/// Small, valid 3D files made in the test itself, with known counts.
enum TestMeshes {
    /// A GLB holding one indexed quad (4 vertices, 2 triangles) with POSITION min/max, as the glTF spec requires.
    static func glbQuad() -> [UInt8] {
        var bin: [UInt8] = []
        let positions: [Float] = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0]
        for value in positions { withUnsafeBytes(of: value.bitPattern.littleEndian) { bin += $0 } }
        let indices: [UInt16] = [0, 1, 2, 0, 2, 3]
        for index in indices { withUnsafeBytes(of: index.littleEndian) { bin += $0 } }
        while bin.count % 4 != 0 { bin.append(0) }
        let json = """
            {"asset":{"version":"2.0","generator":"hwc3d-tests"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],\
            "meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1}]}],\
            "buffers":[{"byteLength":\(bin.count)}],\
            "bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":48},{"buffer":0,"byteOffset":48,"byteLength":12}],\
            "accessors":[{"bufferView":0,"componentType":5126,"count":4,"type":"VEC3","min":[0,0,0],"max":[1,1,0]},\
            {"bufferView":1,"componentType":5123,"count":6,"type":"SCALAR"}]}
            """
        return glbContainer(json: json, bin: bin)
    }

    /// A closed, lumpy sphere (a UV sphere whose radius swells with `lumps`), as positions and triangles: a shape with
    /// no symmetry a fingerprint could lean on, unlike a cube.
    static func lumpySphere(lumps: Float = 3, segments: Int = 24, rings: Int = 12) -> (positions: [SIMD3<Float>], triangles: [Int]) {
        var positions: [SIMD3<Float>] = [SIMD3(0, 1.2, 0)]
        for ring in 1..<rings {
            let polar = Float.pi * Float(ring) / Float(rings)
            for segment in 0..<segments {
                let azimuth = 2 * Float.pi * Float(segment) / Float(segments)
                let radius = 1 + 0.3 * sin(lumps * azimuth) * sin(polar) + 0.15 * cos(2 * polar)
                positions.append(radius * SIMD3(sin(polar) * cos(azimuth), cos(polar), sin(polar) * sin(azimuth)))
            }
        }
        positions.append(SIMD3(0, -0.8, 0))
        let south = positions.count - 1
        func ringVertex(_ ring: Int, _ segment: Int) -> Int { 1 + (ring - 1) * segments + segment % segments }
        var triangles: [Int] = []
        for segment in 0..<segments {
            triangles += [0, ringVertex(1, segment + 1), ringVertex(1, segment)]
            triangles += [south, ringVertex(rings - 1, segment), ringVertex(rings - 1, segment + 1)]
        }
        for ring in 1..<(rings - 1) {
            for segment in 0..<segments {
                let (a, b) = (ringVertex(ring, segment), ringVertex(ring, segment + 1))
                let (c, d) = (ringVertex(ring + 1, segment + 1), ringVertex(ring + 1, segment))
                triangles += [a, b, c, a, c, d]
            }
        }
        return (positions, triangles)
    }

    /// A GLB of one mesh with these positions and triangle indices (32-bit), POSITION min/max included.
    static func glb(positions: [SIMD3<Float>], triangles: [Int]) -> [UInt8] {
        var bin: [UInt8] = []
        var low = SIMD3<Float>(repeating: .infinity), high = SIMD3<Float>(repeating: -.infinity)
        for point in positions {
            low = pointwiseMin(low, point)
            high = pointwiseMax(high, point)
            for value in [point.x, point.y, point.z] { withUnsafeBytes(of: value.bitPattern.littleEndian) { bin += $0 } }
        }
        let positionBytes = bin.count
        for index in triangles { withUnsafeBytes(of: UInt32(index).littleEndian) { bin += $0 } }
        let json = """
            {"asset":{"version":"2.0","generator":"hwc3d-tests"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],\
            "meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1}]}],\
            "buffers":[{"byteLength":\(bin.count)}],\
            "bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":\(positionBytes)},{"buffer":0,"byteOffset":\(positionBytes),"byteLength":\(triangles.count * 4)}],\
            "accessors":[{"bufferView":0,"componentType":5126,"count":\(positions.count),"type":"VEC3","min":[\(low.x),\(low.y),\(low.z)],"max":[\(high.x),\(high.y),\(high.z)]},\
            {"bufferView":1,"componentType":5125,"count":\(triangles.count),"type":"SCALAR"}]}
            """
        return glbContainer(json: json, bin: bin)
    }

    /// The same mesh as OBJ text, each point moved by `transform` first (a converted, re-posed copy).
    static func obj(positions: [SIMD3<Float>], triangles: [Int], transform: (SIMD3<Float>) -> SIMD3<Float> = { $0 }) -> [UInt8] {
        var text = "# converted\no Copy\n"
        for point in positions.map(transform) { text += "v \(point.x) \(point.y) \(point.z)\n" }
        for start in stride(from: 0, to: triangles.count - 2, by: 3) {
            text += "f \(triangles[start] + 1) \(triangles[start + 1] + 1) \(triangles[start + 2] + 1)\n"
        }
        return Array(text.utf8)
    }

    private static func glbContainer(json: String, bin: [UInt8]) -> [UInt8] {
        var bin = bin
        while bin.count % 4 != 0 { bin.append(0) }
        var jsonBytes = Array(json.utf8)
        while jsonBytes.count % 4 != 0 { jsonBytes.append(0x20) }
        var glb: [UInt8] = []
        func u32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { glb += $0 } }
        glb += Array("glTF".utf8)
        u32(2)
        u32(12 + 8 + jsonBytes.count + 8 + bin.count)
        u32(jsonBytes.count)
        glb += Array("JSON".utf8)
        glb += jsonBytes
        u32(bin.count)
        glb += [0x42, 0x49, 0x4E, 0x00]
        glb += bin
        return glb
    }

    /// A cube as OBJ: 8 vertices, 6 quads (12 triangles).
    static let objCube = Array("""
        # cube
        o Cube
        v -1 -1 -1
        v 1 -1 -1
        v 1 1 -1
        v -1 1 -1
        v -1 -1 1
        v 1 -1 1
        v 1 1 1
        v -1 1 1
        f 1 2 3 4
        f 5 8 7 6
        f 1 5 6 2
        f 2 6 7 3
        f 3 7 8 4
        f 5 1 4 8

        """.utf8)

    /// A 4×4 PNG (opaque red), for image uploads.
    static let tinyPNG: [UInt8] = {
        // Built with zlib-free "stored" deflate blocks so the test needs no compressor.
        func crc32(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1))) }
            }
            return ~crc
        }
        func adler32(_ bytes: [UInt8]) -> UInt32 {
            var a: UInt32 = 1, b: UInt32 = 0
            for byte in bytes { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
            return (b << 16) | a
        }
        func be(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be(UInt32(data.count)) + body + be(crc32(body))
        }
        let width = 4, height = 4
        var raw: [UInt8] = []
        for _ in 0..<height { raw.append(0); for _ in 0..<width { raw += [255, 0, 0] } }
        let stored: [UInt8] = [0x78, 0x01, 0x01, UInt8(raw.count & 0xFF), UInt8(raw.count >> 8), UInt8(~raw.count & 0xFF), UInt8((~raw.count >> 8) & 0xFF)]
            + raw + be(adler32(raw))
        let header = be(UInt32(width)) + be(UInt32(height)) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", stored) + chunk("IEND", [])
    }()
}
