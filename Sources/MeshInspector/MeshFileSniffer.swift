import Foundation

/// Decides what an upload is from its bytes alone; names and extensions are never consulted, so a PNG renamed to
/// `.glb` is just a PNG.
enum MeshFileSniffer {
    static func detect(fileAt path: String, limits: InspectionLimits) throws -> DetectedMeshFile {
        try detect(MappedFile(path: path, limits: limits).data, limits: limits)
    }

    static func detect(_ data: Data, limits: InspectionLimits) throws -> DetectedMeshFile {
        guard data.count <= limits.maxFileBytes else {
            throw MeshInspectionError(
                .limitExceeded, "The file is \(data.count) bytes; the limit is \(limits.maxFileBytes) bytes.")
        }
        let kind = try data.withUnsafeBytes { try detectFromPrefix($0, limits: limits) }
        switch kind {
        case .some(let detected):
            return detected
        case .none:
            return .zipBundle(scene: try ZipBundleReader.sceneFormat(of: data, limits: limits))
        }
    }

    /// The detected type, or nil for a zip archive (which needs the archive reader to look inside).
    private static func detectFromPrefix(
        _ bytes: UnsafeRawBufferPointer, limits: InspectionLimits
    ) throws -> DetectedMeshFile? {
        guard !bytes.isEmpty else { throw MeshInspectionError(.unrecognized, "The file is empty.") }
        if bytes.starts(with: Array("glTF".utf8)) {
            guard bytes.count >= 8 else { throw MeshInspectionError(.truncated, "The GLB file is shorter than its header.") }
            let version = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            guard version == 2 else {
                throw MeshInspectionError(
                    .unrecognized, "This is a GLB version \(version) file; only GLB version 2 (glTF 2.0) is accepted.")
            }
            return .glb
        }
        if bytes.starts(with: Array("Kaydara FBX Binary  ".utf8) + [0]) { return .fbxBinary }
        if bytes.starts(with: Array("BLENDER".utf8)) { return .blend(compression: .none) }
        for (magic, compression) in [([UInt8]([0x1F, 0x8B]), BlendCompression.gzip), ([0x28, 0xB5, 0x2F, 0xFD], .zstd)]
        where bytes.starts(with: magic) {
            let head = try Decompression.prefix(of: bytes, compression: compression, count: 7)
            guard head == Array("BLENDER".utf8) else {
                throw MeshInspectionError(
                    .unrecognized, "The file is \(compression.rawValue)-compressed but does not hold a .blend file.")
            }
            return .blend(compression: compression)
        }
        if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return nil
        }
        if let text = try detectText(bytes, limits: limits) { return text }
        throw MeshInspectionError(.unrecognized, unrecognizedReason(bytes))
    }

    private static func detectText(_ bytes: UnsafeRawBufferPointer, limits: InspectionLimits) throws -> DetectedMeshFile? {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        guard start < bytes.count else { return nil }
        if bytes[start] == UInt8(ascii: "{") {
            return try isGLTFJSON(bytes, limits: limits) ? .gltf : nil
        }
        if isASCIIFBX(UnsafeRawBufferPointer(rebasing: bytes[start...])) { return .fbxASCII }
        if OBJSniffer.looksLikeOBJ(UnsafeRawBufferPointer(rebasing: bytes[start...])) { return .obj }
        return nil
    }

    /// A JSON object with an `asset` object holding a `version` string: the one member glTF requires.
    private static func isGLTFJSON(_ bytes: UnsafeRawBufferPointer, limits: InspectionLimits) throws -> Bool {
        let root: JSONValue
        do {
            root = try JSONScanner.parse(bytes, maxDepth: limits.maxDepth)
        } catch let error as MeshInspectionError where error.kind == .limitExceeded {
            throw error
        } catch {
            throw MeshInspectionError(.unrecognized, "The file starts like JSON but is not valid JSON, so it is not a glTF file.")
        }
        guard let asset = root["asset"], asset["version"]?.textValue != nil else {
            throw MeshInspectionError(.unrecognized, "The file is JSON but has no glTF asset.version, so it is not a glTF file.")
        }
        return true
    }

    /// ASCII FBX files open with a `; FBX 7.x.x project file` comment, or at least with a `FBXHeaderExtension`
    /// block after any comments.
    private static func isASCIIFBX(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.starts(with: Array("; FBX".utf8)) { return true }
        var position = 0
        let end = min(bytes.count, 64 * 1024)
        while position < end {
            var lineEnd = position
            while lineEnd < end, bytes[lineEnd] != 0x0A { lineEnd += 1 }
            var first = position
            while first < lineEnd, bytes[first] == 0x20 || bytes[first] == 0x09 || bytes[first] == 0x0D { first += 1 }
            if first < lineEnd, bytes[first] != UInt8(ascii: ";") {
                return UnsafeRawBufferPointer(rebasing: bytes[first..<lineEnd]).starts(with: Array("FBXHeaderExtension:".utf8))
            }
            position = lineEnd + 1
        }
        return false
    }

    /// Names common non-3D files in the refusal so the creator knows what they actually sent.
    private static func unrecognizedReason(_ bytes: UnsafeRawBufferPointer) -> String {
        let signatures: [(bytes: [UInt8], offset: Int, name: String)] = [
            ([0x89, 0x50, 0x4E, 0x47], 0, "a PNG image"),
            ([0xFF, 0xD8, 0xFF], 0, "a JPEG image"),
            (Array("GIF8".utf8), 0, "a GIF image"),
            (Array("WEBP".utf8), 8, "a WebP image"),
            (Array("%PDF".utf8), 0, "a PDF document"),
            (Array("ply".utf8), 0, "a PLY model (not accepted)"),
            (Array("PXR-USDC".utf8), 0, "a USD model (not accepted)"),
            (Array("solid".utf8), 0, "an STL model (not accepted)"),
            ([0x52, 0x61, 0x72, 0x21], 0, "a RAR archive"),
            ([0x37, 0x7A, 0xBC, 0xAF], 0, "a 7-Zip archive"),
            ([0x7F, 0x45, 0x4C, 0x46], 0, "a program (ELF)"),
        ]
        let accepted = "HWC3D accepts GLB, glTF, OBJ, FBX, BLEND and zip bundles of a glTF or OBJ scene"
        for signature in signatures where bytes.count >= signature.offset + signature.bytes.count {
            if UnsafeRawBufferPointer(rebasing: bytes[signature.offset...]).starts(with: signature.bytes) {
                return "The file is \(signature.name), not a 3D model; \(accepted)."
            }
        }
        return "The file's contents are not a 3D format HWC3D recognises; \(accepted)."
    }
}
