import Foundation
import MeshInspector

/// `hwc3d inspect FILE [--json]`: analyses one 3D file the way uploads are analysed, without starting the server
/// (no settings, database or Vapor are touched).
///
/// Exit status: 0 with the report on stdout; 1 when the file cannot be analysed (reason on stderr); 2 for usage
/// errors.
enum InspectCommand {
    static let usage = """
        usage: hwc3d inspect FILE [--json]
          Prints the 3D analysis of FILE (GLB, glTF, OBJ, FBX, BLEND or a zip bundle of a glTF/OBJ scene).
          --json   print the report as JSON (snake_case keys) instead of a table
        """

    /// Whether the command line asks for this command (`hwc3d inspect ...`).
    static func isRequested(_ commandLine: [String]) -> Bool {
        commandLine.count > 1 && commandLine[1] == "inspect"
    }

    /// Runs with the arguments after `inspect`; returns the exit status.
    static func run(_ arguments: [String]) -> Int32 {
        var json = false
        var files: [String] = []
        for argument in arguments {
            switch argument {
            case "--json": json = true
            case "-h", "--help":
                print(usage)
                return 0
            case "--":
                continue
            default:
                if argument.hasPrefix("-"), argument.count > 1 {
                    return usageError("unknown option \(argument)")
                }
                files.append(argument)
            }
        }
        guard files.count == 1, let path = files.first else {
            return usageError(files.isEmpty ? "missing FILE" : "expected one FILE, got \(files.count)")
        }
        do {
            let report = try MeshInspector.inspect(fileAt: path)
            print(json ? try jsonText(report) : table(report, path: path))
            return 0
        } catch let error as MeshInspectionError {
            FileHandle.standardError.write(Data("hwc3d inspect: \(path): \(error.reason)\n".utf8))
            return 1
        } catch {
            FileHandle.standardError.write(Data("hwc3d inspect: \(path): \(error)\n".utf8))
            return 1
        }
    }

    private static func usageError(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("hwc3d inspect: \(message)\n\(usage)\n".utf8))
        return 2
    }

    static func jsonText(_ report: MeshReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self)
    }

    static func table(_ report: MeshReport, path: String) -> String {
        var rows: [(String, String)] = [
            ("file", path),
            ("format", report.format.rawValue + (report.formatVersion.map { " (version \($0))" } ?? "")),
            ("vertices", "\(report.vertexCount)"),
            ("triangles", "\(report.triangleCount)"),
            ("polygons", report.polygonCount.map { "\($0)" } ?? "-"),
            ("meshes", "\(report.meshCount)"),
            ("materials", "\(report.materialCount)"),
            ("textures", "\(report.textureCount)"),
            ("animations", "\(report.animationCount)"),
            ("rigged", report.isRigged ? "yes" : "no"),
        ]
        if let box = report.boundingBox, box.min.count == 3, box.max.count == 3 {
            // OBJ has no unit (see the warning); the other formats' boxes are in metres.
            let unit = report.format == .obj ? "units" : "m"
            let size = (0..<3).map { number(box.max[$0] - box.min[$0]) }.joined(separator: " x ") + " " + unit
            let low = box.min.map(number).joined(separator: ", ")
            let high = box.max.map(number).joined(separator: ", ")
            rows.append(("size", "\(size) (min \(low); max \(high))"))
        } else {
            rows.append(("size", "-"))
        }
        if !report.evaluatedModifiers.isEmpty { rows.append(("modifiers", report.evaluatedModifiers.joined(separator: ", "))) }
        if !report.unevaluatedModifiers.isEmpty {
            rows.append(("not applied", report.unevaluatedModifiers.joined(separator: ", ")))
        }
        if report.isApproximate { rows.append(("counts", "approximate (see the warnings)")) }
        if let quality = report.quality {
            rows.append(("quality", quality.verdict.rawValue + (quality.isManifold ? ", closed and manifold" : "")))
            for finding in quality.findings { rows.append((finding.verdict.rawValue, finding.message)) }
        }
        for warning in report.warnings { rows.append(("warning", warning)) }
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width + 2, withPad: " ", startingAt: 0) + $0.1 }
            .joined(separator: "\n")
    }

    private static func number(_ value: Double) -> String {
        String(format: "%.4g", value)
    }
}
