import Foundation
import Testing
@testable import MeshInspector

/// The measurement behind `ShapeFingerprint.matchThreshold`, run by scripts/measure-fingerprints.py over the files
/// Blender generated (FINGERPRINT_MEASURE names their manifest); skipped in an ordinary test run. Every line of the
/// report is printed with a "FINGERPRINT " prefix and the whole is written as JSON to FINGERPRINT_REPORT.
@Suite("Fingerprint measurement")
struct FingerprintMeasurementTests {
    static let manifestPath = ProcessInfo.processInfo.environment["FINGERPRINT_MEASURE"]

    struct Manifest: Decodable {
        struct Entry: Decodable {
            var model: String
            var file: String
            var role: String
            var distinct: Bool
            var what: String
            var maxTriangles: Int?
        }
        struct Near: Decodable {
            var a: String
            var b: String
            var what: String
        }
        var entries: [Entry]
        var near: [Near]
    }

    struct Measured {
        var entry: Manifest.Entry
        var fingerprint: ShapeFingerprint
        var triangles: Int
        var milliseconds: Double
    }

    @Test(.enabled(if: manifestPath != nil))
    func measure() throws {
        let manifestURL = URL(fileURLWithPath: try #require(Self.manifestPath))
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: manifestURL))
        let directory = manifestURL.deletingLastPathComponent()
        var lines: [String] = []
        func say(_ line: String) {
            print("FINGERPRINT " + line)
            lines.append(line)
        }

        var measured: [Measured] = []
        var failures: [String] = []
        let clock = ContinuousClock()
        for entry in manifest.entries {
            let path = entry.file.hasPrefix("/") ? entry.file : directory.appendingPathComponent(entry.file).path
            do {
                let geometry = try MeshInspector.geometry(
                    fileAt: path, maxTriangles: entry.maxTriangles ?? MeshInspector.defaultPreviewTriangles)
                var fingerprint: ShapeFingerprint?
                let elapsed = clock.measure { fingerprint = ShapeFingerprint(geometry) }
                guard let fingerprint else {
                    failures.append("\(entry.file): no surface")
                    continue
                }
                let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
                measured.append(Measured(entry: entry, fingerprint: fingerprint, triangles: geometry.triangleCount,
                                         milliseconds: milliseconds))
            } catch {
                failures.append("\(entry.file): \(error)")
            }
        }
        let threshold = ShapeFingerprint.matchThreshold
        say("version \(ShapeFingerprint.version), \(ShapeFingerprint.valueCount) floats, threshold \(threshold)")
        say("files fingerprinted: \(measured.count) of \(manifest.entries.count); unreadable: \(failures.count)")
        for failure in failures { say("  unreadable: \(failure)") }

        var originals: [String: ShapeFingerprint] = [:]
        var originalTriangles: [String: Int] = [:]
        for item in measured where item.entry.role == "original" {
            originals[item.entry.model] = item.fingerprint
            originalTriangles[item.entry.model] = item.triangles
        }

        // Copies against their originals. A copy with other than its original's triangles (not a thinned preview)
        // is another scene: Blender's importer or exporter changed the content; those are reported apart.
        var copies: [(model: String, what: String, distance: Float, bucket: Bool)] = []
        for item in measured where item.entry.role == "copy" {
            guard let original = originals[item.entry.model] else { continue }
            let distance = original.distance(to: item.fingerprint)
            if item.entry.maxTriangles == nil, item.triangles != originalTriangles[item.entry.model] {
                say("changed scene: \(item.entry.file) has \(item.triangles) triangles, its original \(originalTriangles[item.entry.model] ?? 0): distance \(Self.format(distance))")
                continue
            }
            copies.append((item.entry.model, item.entry.what, distance,
                           original.neighbouringBuckets.contains(item.fingerprint.bucket)))
        }
        let matched = copies.filter { $0.distance <= threshold }.count
        say("copies: \(matched) of \(copies.count) match their original (true-match rate \(Self.percent(matched, copies.count)))")
        say("copies in a neighbouring bucket: \(copies.filter(\.bucket).count) of \(copies.count)")
        for what in Set(copies.map(\.what)).sorted() {
            let group = copies.filter { $0.what == what }
            let worst = group.max { $0.distance < $1.distance }!
            say("  \(what): \(group.count) copies, worst distance \(Self.format(worst.distance)) (\(worst.model))")
        }
        for copy in copies.sorted(by: { $0.distance > $1.distance }).prefix(8) {
            say("  far copy: \(copy.model) as \(copy.what): \(Self.format(copy.distance))")
        }

        // All pairs of distinct models.
        let distinct = measured.filter { $0.entry.role == "original" && $0.entry.distinct }
        var pairDistances: [Float] = []
        var closest: [(Float, String, String)] = []
        pairDistances.reserveCapacity(distinct.count * distinct.count / 2)
        var shortlist = 0
        for i in distinct.indices {
            let keys = Set(distinct[i].fingerprint.neighbouringBuckets)
            for j in distinct.indices where j != i && keys.contains(distinct[j].fingerprint.bucket) { shortlist += 1 }
            for j in (i + 1)..<distinct.count {
                let distance = distinct[i].fingerprint.distance(to: distinct[j].fingerprint)
                pairDistances.append(distance)
                if closest.count < 12 || distance < closest[closest.count - 1].0 {
                    closest.append((distance, distinct[i].entry.model, distinct[j].entry.model))
                    closest.sort { $0.0 < $1.0 }
                    if closest.count > 12 { closest.removeLast() }
                }
            }
        }
        let falseMatches = pairDistances.filter { $0 <= threshold }.count
        say("distinct models: \(distinct.count), pairs: \(pairDistances.count), matching pairs: \(falseMatches) (false-match rate \(Self.percent(falseMatches, pairDistances.count)))")
        if distinct.count > 1 {
            say("shortlist: on average \(String(format: "%.1f", Double(shortlist) / Double(distinct.count))) other models share a neighbouring bucket (of \(distinct.count - 1))")
        }
        for (distance, a, b) in closest { say("  close pair: \(a) vs \(b): \(Self.format(distance))") }

        // Threshold sweep.
        let sortedPairs = pairDistances.sorted()
        for candidate: Float in [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2] {
            let truths = copies.filter { $0.distance <= candidate }.count
            let falses = sortedPairs.prefix { $0 <= candidate }.count
            say("  at \(candidate): true-match \(Self.percent(truths, copies.count)), false-match \(falses) pairs (\(Self.percent(falses, sortedPairs.count)))")
        }

        // Near-duplicates.
        for pair in manifest.near {
            guard let a = originals[pair.a], let b = originals[pair.b] else { continue }
            let distance = a.distance(to: b)
            say("near: \(pair.what): \(Self.format(distance)) \(distance <= threshold ? "MATCH" : "different")")
        }

        // Time, again on the largest and the smallest scene: best of five, as other work shares the machine.
        for item in [measured.max { $0.triangles < $1.triangles }!, measured.min { $0.triangles < $1.triangles }!] {
            let path = item.entry.file.hasPrefix("/") ? item.entry.file : directory.appendingPathComponent(item.entry.file).path
            let geometry = try MeshInspector.geometry(
                fileAt: path, maxTriangles: item.entry.maxTriangles ?? MeshInspector.defaultPreviewTriangles)
            let runs = (0..<5).map { _ in clock.measure { _ = ShapeFingerprint(geometry) } }.sorted()
            say("time for \(geometry.triangleCount) triangles: best \(runs[0]), median \(runs[2])")
        }
        let slowest = measured.max { $0.milliseconds < $1.milliseconds }!
        let largest = measured.max { $0.triangles < $1.triangles }!
        let mean = measured.map(\.milliseconds).reduce(0, +) / Double(measured.count)
        say("time: mean \(String(format: "%.2f", mean)) ms; slowest \(String(format: "%.1f", slowest.milliseconds)) ms (\(slowest.triangles) triangles); largest \(largest.triangles) triangles in \(String(format: "%.1f", largest.milliseconds)) ms")

        if let reportPath = ProcessInfo.processInfo.environment["FINGERPRINT_REPORT"] {
            let report: [String: Any] = [
                "lines": lines,
                "fingerprints": measured.map { ["model": $0.entry.model, "file": $0.entry.file, "role": $0.entry.role,
                                                "bucket": $0.fingerprint.bucket, "values": $0.fingerprint.values.map(Double.init),
                                                "triangles": $0.triangles, "milliseconds": $0.milliseconds] as [String: Any] },
            ]
            try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]).write(to: URL(fileURLWithPath: reportPath))
        }
    }

    static func percent(_ part: Int, _ whole: Int) -> String {
        whole == 0 ? "n/a" : String(format: "%.3f%%", 100 * Double(part) / Double(whole))
    }

    static func format(_ value: Float) -> String { String(format: "%.4f", Double(value)) }
}
