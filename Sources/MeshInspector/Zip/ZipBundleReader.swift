import Foundation
import ZIPFoundation

/// Reads zip bundles: one `.gltf` or `.obj` scene plus the buffers, material libraries and textures it refers to.
///
/// Nothing is written to disk. The archive's structure is checked first (`ZipLayout`), ZIPFoundation lists the
/// entries, every entry's path is checked before anything is read (no `..`, no absolute paths, no backslashes, no
/// symbolic links), the entry count and the declared sizes are capped, and entries are inflated into memory only
/// when the scene refers to them, each stopped the moment it passes its declared size, whatever the stream holds.
enum ZipBundleReader {
    static func sceneFormat(of data: Data, limits: InspectionLimits) throws -> MeshFormat {
        try ZipBundle(data, limits: limits).sceneFormat
    }

    static func inspect(_ data: Data, limits: InspectionLimits) throws -> MeshReport {
        let bundle = try ZipBundle(data, limits: limits)
        let scene = try bundle.contents(of: bundle.scenePath)
        let directory = bundle.scenePath.split(separator: "/").dropLast().joined(separator: "/")
        let resources = SceneResources(baseDirectory: directory) { path in try bundle.contents(ofReference: path) }
        switch bundle.sceneFormat {
        case .gltf:
            return try GLTFReader.inspectJSON(scene, resources: resources, limits: limits)
        default:
            return try OBJReader.inspect(scene, resources: resources, limits: limits)
        }
    }
}

/// An opened, checked zip archive and its one scene.
final class ZipBundle {
    let scenePath: String
    let sceneFormat: MeshFormat
    private let data: Data
    private let limits: InspectionLimits
    private var entries: [String: ZipLayout.Item] = [:]
    /// Lower-cased path → real path, for references whose case differs (common in files made on Windows).
    private var caseInsensitive: [String: String] = [:]
    private var inflatedBytes = 0

    init(_ data: Data, limits: InspectionLimits) throws {
        self.data = data
        self.limits = limits
        let items = try data.withUnsafeBytes { try ZipLayout.validate($0, limits: limits) }
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw MeshInspectionError(.malformed, "The zip archive cannot be opened: it is damaged or incomplete.")
        }
        var declaredTotal: UInt64 = 0
        var scenes: [(path: String, format: MeshFormat)] = []
        var otherModels: [String] = []
        var count = 0
        for entry in archive {
            // ZIPFoundation lists the central directory in order, the same walk ZipLayout made.
            guard count < items.count else { break }
            let item = items[count]
            count += 1
            guard count <= limits.maxZipEntries else {
                throw MeshInspectionError(.limitExceeded, "The zip archive holds more than \(limits.maxZipEntries) entries.")
            }
            let path = entry.path
            try Self.checkSafe(path, type: entry.type)
            // Refused before anything is inflated: a bomb declares its sizes honestly more often than not.
            guard entry.uncompressedSize <= UInt64(limits.maxZipEntryBytes),
                  case let total = declaredTotal + entry.uncompressedSize, total <= UInt64(limits.maxInflatedBytes) else {
                throw MeshInspectionError(
                    .limitExceeded,
                    "The zip archive expands to more than the limit (\(limits.maxInflatedBytes) bytes in all, \(limits.maxZipEntryBytes) per file).")
            }
            declaredTotal = total
            guard entry.type == .file else { continue }
            let normalized = path.split(separator: "/").joined(separator: "/")
            entries[normalized] = item
            caseInsensitive[normalized.lowercased()] = normalized
            let name = normalized.split(separator: "/").last.map(String.init) ?? normalized
            guard !normalized.hasPrefix("__MACOSX/"), !name.hasPrefix("._") else { continue }
            switch name.lowercased().split(separator: ".").last {
            case "gltf": scenes.append((normalized, .gltf))
            case "obj": scenes.append((normalized, .obj))
            case "glb", "fbx", "blend": otherModels.append(normalized)
            default: break
            }
        }
        guard let scene = scenes.first else {
            let hint = otherModels.isEmpty ? "" : " (\(otherModels[0]) should be uploaded on its own, not zipped)"
            throw MeshInspectionError(.unrecognized, "The zip archive holds no .gltf or .obj scene\(hint).")
        }
        guard scenes.count == 1 else {
            let names = scenes.prefix(3).map(\.path).joined(separator: ", ")
            throw MeshInspectionError(
                .unrecognized, "The zip archive holds \(scenes.count) scenes (\(names)); a bundle must hold exactly one.")
        }
        scenePath = scene.path
        sceneFormat = scene.format
    }

    /// Refuses entry names that could escape an extraction folder, even though nothing is ever extracted to disk:
    /// such an archive is hostile or broken either way.
    private static func checkSafe(_ path: String, type: Entry.EntryType) throws {
        if path.contains("\\") {
            throw MeshInspectionError(.malformed, "The zip entry '\(path)' has a backslash in its path; zip paths use '/'.")
        }
        if path.hasPrefix("/") || SceneResources.looksLikeDrivePath(path) {
            throw MeshInspectionError(.malformed, "The zip entry '\(path)' has an absolute path.")
        }
        if path.split(separator: "/").contains("..") {
            throw MeshInspectionError(.malformed, "The zip entry '\(path)' points outside the archive ('..').")
        }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw MeshInspectionError(.malformed, "A zip entry's path contains control characters.")
        }
        if type == .symlink {
            throw MeshInspectionError(.malformed, "The zip entry '\(path)' is a symbolic link.")
        }
    }

    /// A file the scene refers to; nil when the bundle does not have it.
    func contents(ofReference path: String) throws -> Data? {
        guard let real = entries[path] != nil ? path : caseInsensitive[path.lowercased()] else { return nil }
        return try contents(of: real)
    }

    /// Inflates one entry into memory; the listing already refused declared sizes over the limits.
    func contents(of path: String) throws -> Data {
        guard let item = entries[path] else {
            throw MeshInspectionError(.malformed, "The zip entry '\(path)' is missing.")
        }
        let cap = min(item.uncompressedSize, limits.maxZipEntryBytes, limits.maxInflatedBytes - inflatedBytes)
        let contents = try data.withUnsafeBytes { bytes in
            try ZipEntryInflater.contents(of: item, in: bytes, name: path, cap: cap)
        }
        inflatedBytes += contents.count
        return contents
    }
}
