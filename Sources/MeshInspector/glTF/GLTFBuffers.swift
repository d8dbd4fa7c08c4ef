import Foundation

/// A byte range inside some storage: the mapped upload (a GLB's BIN chunk), a decoded `data:` URI, or a file taken
/// from a zip bundle. Offsets are relative to the storage's own bytes, never to `Data` indices.
struct ByteRegion {
    let storage: Data
    let range: Range<Int>

    func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try storage.withUnsafeBytes { raw in try body(UnsafeRawBufferPointer(rebasing: raw[range])) }
    }
}

/// Finds the bytes behind glTF buffers and checks accessor ranges against them, loading each buffer at most once
/// and only when an accessor that matters (indices, a POSITION without min/max) needs it.
struct GLTFBufferStore {
    enum Availability {
        case available(ByteRegion)
        /// The data cannot be read; the counts fall back to what the accessors declare, with this as the warning.
        case unavailable(String)
    }

    /// Where an accessor's elements lie: `count` elements of `elementSize` bytes every `stride` bytes from
    /// `offset` within `region`.
    struct ElementLayout {
        var region: ByteRegion
        var offset: Int
        var stride: Int
        var count: Int
    }

    private let document: GLTFDocument
    private let binaryChunk: ByteRegion?
    private let resources: SceneResources
    let limits: InspectionLimits
    /// The JSON text the document was parsed from, where buffer URIs are read in place.
    private let json: ByteRegion
    private var loaded: [Int: Availability] = [:]
    private var inflatedBytes = 0
    private var decodedViews: [Int: ByteRegion] = [:]

    init(
        document: GLTFDocument, json: ByteRegion, binaryChunk: ByteRegion?, resources: SceneResources,
        limits: InspectionLimits
    ) {
        self.document = document
        self.binaryChunk = binaryChunk
        self.resources = resources
        self.limits = limits
        self.json = json
    }

    mutating func buffer(_ index: Int) throws -> Availability {
        if let known = loaded[index] { return known }
        guard index < document.buffers.count else {
            throw GLTFDocument.malformed("a bufferView refers to buffer \(index), but there are \(document.buffers.count)")
        }
        let buffer = document.buffers[index]
        let availability = try load(buffer, index: index)
        if case .available(let region) = availability, region.range.count < buffer.byteLength {
            throw MeshInspectionError(
                .truncated,
                "Buffer \(index) declares \(buffer.byteLength) bytes but only \(region.range.count) are present.")
        }
        loaded[index] = availability
        return availability
    }

    private mutating func load(_ buffer: GLTFDocument.Buffer, index: Int) throws -> Availability {
        guard let uri = buffer.uri else {
            guard index == 0, let binaryChunk else {
                throw GLTFDocument.malformed("buffer \(index) has no uri and no GLB binary chunk holds it")
            }
            return .available(binaryChunk)
        }
        let remaining = limits.maxInflatedBytes - inflatedBytes
        let decoded: [UInt8]? = try json.withBytes { json in
            let reference = UnsafeRawBufferPointer(rebasing: json[uri.start..<uri.end])
            guard URIDecoding.isDataURI(reference) else { return nil }
            guard uri.hasEscapes else { return try URIDecoding.dataURIPayload(reference, limit: remaining) }
            // Escapes in a data: URI are legal JSON but rare; decode the text first in that case only.
            let text = Array(try JSONScanner.string(uri, in: json).utf8)
            return try text.withUnsafeBytes { try URIDecoding.dataURIPayload($0, limit: remaining) }
        }
        if let decoded {
            inflatedBytes += decoded.count
            return .available(ByteRegion(storage: Data(decoded), range: 0..<decoded.count))
        }
        // A lone upload has no files beside it: fail as the counts do (see `LoneGLTFFiles`), not from declarations.
        if !resources.isBundle { try LoneGLTFFiles.requireBuffers(document: document, json: json) }
        let reference = try json.withBytes { try JSONScanner.string(uri, in: $0) }
        guard let path = URIDecoding.percentDecoded(reference) else {
            throw GLTFDocument.malformed("buffer \(index)'s uri has a malformed %-escape")
        }
        guard let data = try resources.data(forReference: path) else {
            let whereFrom = resources.isBundle ? "is not in the zip bundle" : "was not uploaded with the .gltf"
            return .unavailable("Buffer file '\(path)' \(whereFrom); counts come from the accessor declarations.")
        }
        return .available(ByteRegion(storage: data, range: 0..<data.count))
    }

    /// Checks that accessor `index` fits its bufferView and buffer, returning where its elements are, nil when the
    /// accessor has no bufferView (all zeros), or `.unavailable` when the bytes cannot be read.
    mutating func layout(
        ofAccessor index: Int, elementSize: Int
    ) throws -> Result<ElementLayout?, UnavailableData> {
        guard index < document.accessors.count else {
            throw GLTFDocument.malformed("accessor \(index) does not exist (there are \(document.accessors.count))")
        }
        let accessor = document.accessors[index]
        guard accessor.count <= limits.maxElements else {
            throw MeshInspectionError(
                .limitExceeded, "Accessor \(index) declares \(accessor.count) elements; the limit is \(limits.maxElements).")
        }
        guard let viewIndex = accessor.bufferView else { return .success(nil) }
        guard viewIndex < document.bufferViews.count else {
            throw GLTFDocument.malformed("accessor \(index) refers to bufferView \(viewIndex), which does not exist")
        }
        let view = document.bufferViews[viewIndex]
        let stride = view.byteStride ?? elementSize
        guard stride >= elementSize, stride <= 1 << 20 else {
            throw GLTFDocument.malformed("bufferView \(viewIndex) has a byteStride of \(stride) for \(elementSize)-byte elements")
        }
        // Last element's end = byteOffset + (count - 1) * stride + elementSize; all of it inside the view, the view
        // inside its buffer, every step overflow-checked because each number is the file's word.
        let span = try Checked.add(
            accessor.byteOffset,
            accessor.count == 0 ? 0 : try Checked.add(try Checked.multiply(accessor.count - 1, stride), elementSize))
        guard span <= view.byteLength else {
            throw GLTFDocument.malformed("accessor \(index) runs past the end of bufferView \(viewIndex)")
        }
        let viewEnd = try Checked.add(view.byteOffset, view.byteLength)
        guard view.buffer < document.buffers.count, viewEnd <= document.buffers[view.buffer].byteLength else {
            throw GLTFDocument.malformed("bufferView \(viewIndex) runs past the end of its buffer")
        }
        if view.meshopt != nil {
            // The decoded view is its own region; the fallback buffer is never read.
            return try decodedMeshoptView(viewIndex).map {
                ElementLayout(region: $0, offset: accessor.byteOffset, stride: stride, count: accessor.count)
            }
        }
        switch try buffer(view.buffer) {
        case .unavailable(let reason):
            return .failure(UnavailableData(reason: reason))
        case .available(let region):
            return .success(ElementLayout(
                region: region, offset: view.byteOffset + accessor.byteOffset, stride: stride, count: accessor.count))
        }
    }

    /// The bytes of bufferView `index` (a Draco stream), or `.unavailable` when its buffer was not uploaded.
    mutating func bytes(ofView index: Int) throws -> Result<ByteRegion, UnavailableData> {
        guard index < document.bufferViews.count else {
            throw GLTFDocument.malformed("bufferView \(index) does not exist (there are \(document.bufferViews.count))")
        }
        let view = document.bufferViews[index]
        let end = try Checked.add(view.byteOffset, view.byteLength)
        guard view.buffer < document.buffers.count, end <= document.buffers[view.buffer].byteLength else {
            throw GLTFDocument.malformed("bufferView \(index) runs past the end of its buffer")
        }
        switch try buffer(view.buffer) {
        case .unavailable(let reason): return .failure(UnavailableData(reason: reason))
        case .available(let region):
            let start = region.range.lowerBound + view.byteOffset
            return .success(ByteRegion(storage: region.storage, range: start..<(start + view.byteLength)))
        }
    }

    /// Decodes an EXT_meshopt_compression view once, counting its size against the inflation limit.
    private mutating func decodedMeshoptView(_ index: Int) throws -> Result<ByteRegion, UnavailableData> {
        if let known = decodedViews[index] { return .success(known) }
        let view = document.bufferViews[index]
        guard let source = view.meshopt else { throw GLTFDocument.malformed("bufferView \(index) is not meshopt-compressed") }
        let size = try Checked.multiply(source.count, source.byteStride)
        guard size == view.byteLength, source.count <= limits.maxElements,
              view.byteStride == nil || view.byteStride == source.byteStride else {
            throw GLTFDocument.malformed("bufferView \(index)'s EXT_meshopt_compression count and byteStride do not match the view")
        }
        guard size <= limits.maxInflatedBytes - inflatedBytes else {
            throw MeshInspectionError(
                .limitExceeded, "The file's compressed buffers decode to more than \(limits.maxInflatedBytes) bytes.")
        }
        let end = try Checked.add(source.byteOffset, source.byteLength)
        guard source.buffer < document.buffers.count, end <= document.buffers[source.buffer].byteLength else {
            throw GLTFDocument.malformed("bufferView \(index)'s compressed data runs past the end of its buffer")
        }
        let compressed: ByteRegion
        switch try buffer(source.buffer) {
        case .unavailable(let reason): return .failure(UnavailableData(reason: reason))
        case .available(let region): compressed = region
        }
        let decoded = try compressed.withBytes { bytes in
            try MeshoptDecoder.decode(
                UnsafeRawBufferPointer(rebasing: bytes[source.byteOffset..<end]), mode: source.mode,
                filter: source.filter, count: source.count, stride: source.byteStride)
        }
        inflatedBytes += size
        let region = ByteRegion(storage: Data(decoded), range: 0..<decoded.count)
        decodedViews[index] = region
        return .success(region)
    }

    struct UnavailableData: Error {
        var reason: String
    }
}

/// What a lone `.gltf` upload (no zip around it) is missing: the files its buffers and images name by path.
///
/// Blender cannot import a `.gltf` without its buffer files, so a lone upload whose buffers are not `data:` URIs
/// fails with a reason telling the creator what to upload instead; the counts and the preview both refuse it here
/// rather than counting from the accessors' declarations. Missing images only cost the textures, so they are a
/// warning.
enum LoneGLTFFiles {
    /// Throws `.unsupported` when a buffer lives in a file beside the `.gltf`.
    static func requireBuffers(document: GLTFDocument, json: ByteRegion) throws {
        let buffers = try json.withBytes { bytes in
            try document.buffers.compactMap { try $0.uri.flatMap { try externalPath($0, in: bytes) } }
        }
        guard !buffers.isEmpty else { return }
        let images = imagePaths(json: json)
        throw MeshInspectionError(.unsupported, "The .gltf refers to \(list(buffers + images)), which \(buffers.count + images.count == 1 ? "was" : "were") not uploaded. Upload a ZIP holding the .gltf with its .bin and texture files, or a single .glb file.")
    }

    /// A warning naming the image files a lone `.gltf` refers to, or nil when every image is embedded.
    static func missingImagesWarning(json: ByteRegion) -> String? {
        let images = imagePaths(json: json)
        guard !images.isEmpty else { return nil }
        return "The .gltf refers to \(list(images)), which \(images.count == 1 ? "was" : "were") not uploaded, so textures are counted from the file but not checked. Upload a ZIP holding the .gltf with its textures, or a .glb, to include them."
    }

    /// Paths of the images given by `uri` other than `data:` (an image in a bufferView has no uri).
    /// Best effort, for a message: empty when the document cannot be read again.
    private static func imagePaths(json: ByteRegion) -> [String] {
        (try? json.withBytes { bytes -> [String] in
            // Only reached for a lone .gltf, once: the document, already checked, is parsed again for its images.
            let root = try JSONScanner.parse(bytes, maxDepth: InspectionLimits.standard.maxDepth)
            var paths: [String] = []
            for image in root["images"]?.arrayValue ?? [] {
                if let uri = image["uri"]?.textValue, let path = try externalPath(uri, in: bytes),
                   !paths.contains(path) {
                    paths.append(path)
                }
            }
            return paths
        }) ?? []
    }

    /// The decoded path of a uri naming a file; nil for a `data:` URI, recognised in place so an embedded buffer's
    /// payload is never copied into a string.
    private static func externalPath(_ uri: JSONText, in bytes: UnsafeRawBufferPointer) throws -> String? {
        guard uri.start >= 0, uri.start <= uri.end, uri.end <= bytes.count else {
            throw MeshInspectionError(.malformed, "A JSON string lies outside its document.")
        }
        guard !URIDecoding.isDataURI(UnsafeRawBufferPointer(rebasing: bytes[uri.start..<uri.end])) else { return nil }
        let text = try JSONScanner.string(uri, in: bytes)
        return URIDecoding.percentDecoded(text) ?? text
    }

    /// `"a.bin"`, `"a.bin" and "b.png"`, `"a.bin", "b.png" and 3 more files`.
    private static func list(_ names: [String]) -> String {
        let quoted = names.prefix(3).map { "\"\($0)\"" }
        let rest = names.count - quoted.count
        if rest > 0 { return quoted.joined(separator: ", ") + " and \(rest) more file\(rest == 1 ? "" : "s")" }
        if quoted.count == 1 { return quoted[0] }
        return quoted.dropLast().joined(separator: ", ") + " and " + quoted[quoted.count - 1]
    }
}

/// Overflow-checked arithmetic for sizes and offsets read from files.
enum Checked {
    static func add(_ a: Int, _ b: Int) throws -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw MeshInspectionError(.malformed, "An offset or size in the file overflows.") }
        return sum
    }

    static func multiply(_ a: Int, _ b: Int) throws -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow else { throw MeshInspectionError(.malformed, "An offset or size in the file overflows.") }
        return product
    }
}

/// Sizes of glTF accessor component types, in bytes; nil for unknown types.
func gltfComponentSize(_ componentType: Int) -> Int? {
    switch componentType {
    case 5120, 5121: 1
    case 5122, 5123: 2
    case 5125, 5126: 4
    default: nil
    }
}
