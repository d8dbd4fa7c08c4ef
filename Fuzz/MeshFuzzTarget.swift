import Foundation
import MeshInspector

/// libFuzzer entry point for every mesh reader; `MESH_FUZZ_FORMAT` picks which one a process exercises.
///
/// Built by `scripts/fuzz.sh` with `-sanitize=fuzzer,address`; `main.swift` hands control to libFuzzer, which
/// mutates inputs seeded from the fixtures and reports any crash (trap, overflow, out-of-bounds access) with the
/// input that caused it. Thrown `MeshInspectionError`s are the expected outcome for most inputs and are ignored.
enum MeshFuzzTarget {
    /// The reader under test, fixed for the life of the process.
    nonisolated(unsafe) static var format: DetectedMeshFile?? = nil

    /// Limits scaled down so a mutated declared count cannot make one input take seconds; the logic exercised
    /// is the same.
    static let limits: InspectionLimits = {
        var limits = InspectionLimits()
        limits.maxElements = 4_000_000
        limits.maxInflatedBytes = 64 * 1024 * 1024
        limits.maxZipEntryBytes = 16 * 1024 * 1024
        return limits
    }()

    static func selectedFormat() -> DetectedMeshFile? {
        if let format { return format }
        let name = ProcessInfo.processInfo.environment["MESH_FUZZ_FORMAT"] ?? "any"
        let selected: DetectedMeshFile? = switch name {
        case "glb": .glb
        case "gltf": .gltf
        case "obj": .obj
        case "zip": .zipBundle(scene: .gltf)
        case "fbx-binary": .fbxBinary
        case "fbx-ascii": .fbxASCII
        case "blend": .blend(compression: .none)  // refined per input by its first bytes, see below
        default: nil  // "any": sniff first, as uploads are
        }
        format = .some(selected)
        return selected
    }
}

/// One input: analyse it and ignore the expected errors.
func meshFuzzTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
    switch ProcessInfo.processInfo.environment["MESH_FUZZ_FORMAT"] {
    case "texture":
        // The preview's PNG and JPEG decoders: nil is the expected answer to damaged images, never a crash.
        _ = PreviewTextureDecoder.decode(data)
        return 0
    case "preview":
        // Geometry with materials and textures, then every picture at a small size.
        do {
            let geometry = try MeshInspector.geometry(data, limits: MeshFuzzTarget.limits, maxTriangles: 20_000)
            var options = PreviewRenderOptions()
            options.width = 64
            options.height = 48
            for view in PreviewView.allCases {
                options.view = view
                _ = try PreviewRenderer.render(geometry, options: options)
            }
        } catch is MeshInspectionError {
        } catch {
            fatalError("unexpected error type: \(error)")
        }
        return 0
    default:
        break
    }
    do {
        if case .blend = MeshFuzzTarget.selectedFormat() {
            // Seeds include gzip- and zstd-compressed saves; reach the reader with the right decompressor.
            let compression: BlendCompression =
                data.starts(with: [0x1F, 0x8B]) ? .gzip : data.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) ? .zstd : .none
            _ = try MeshInspector.inspect(data, as: .blend(compression: compression), limits: MeshFuzzTarget.limits)
        } else if let format = MeshFuzzTarget.selectedFormat() {
            _ = try MeshInspector.inspect(data, as: format, limits: MeshFuzzTarget.limits)
        } else {
            _ = try MeshInspector.inspect(data, limits: MeshFuzzTarget.limits)
        }
    } catch is MeshInspectionError {
        // The expected answer to most mutated inputs.
    } catch {
        // Only MeshInspectionError may escape the readers.
        fatalError("unexpected error type: \(error)")
    }
    return 0
}
