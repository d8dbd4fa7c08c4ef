import Foundation

/// The texture files of an OBJ's material libraries, keyed by material.
///
/// Blender 3.4 reads these map statements into one image slot each, a later statement for the same slot replacing
/// an earlier one (checked against Blender): `map_Kd`, `map_Ks`, `map_Ns`, `map_d`, `map_Ke`, `map_Pr`, `map_Pm`,
/// `map_Ps`, reflection (`refl`, `map_refl`) and bump (`map_Bump`, `map_bump`, `bump`). It ignores `map_Ka`,
/// `disp`, `decal`, `norm` and the rest, so they are not counted either.
struct MTLLibrary {
    private static let slots: [String: String] = [
        "map_Kd": "Kd", "map_Ks": "Ks", "map_Ns": "Ns", "map_d": "d", "map_Ke": "Ke", "map_Pr": "Pr",
        "map_Pm": "Pm", "map_Ps": "Ps", "refl": "refl", "map_refl": "refl", "map_Bump": "bump", "map_bump": "bump",
        "bump": "bump",
    ]
    /// Texture options and how many values each takes (`-o`, `-s` and `-t` take up to three).
    private static let optionArity: [String: Int] = [
        "-blendu": 1, "-blendv": 1, "-boost": 1, "-mm": 2, "-o": 3, "-s": 3, "-t": 3, "-texres": 1, "-clamp": 1,
        "-bm": 1, "-imfchan": 1, "-type": 1, "-cc": 1,
    ]
    /// Most statements read from all libraries together; keeps a hostile MTL from costing unbounded memory.
    private static let maxStatements = 1_000_000

    private var mapsByMaterial: [String: [String: String]] = [:]
    /// `Kd` of each material, for previews.
    private(set) var diffuseColours: [String: (Double, Double, Double)] = [:]
    private var statements = 0

    mutating func parse(_ bytes: UnsafeRawBufferPointer, limits: InspectionLimits) throws {
        var current: String?
        let text = String(decoding: bytes, as: UTF8.self)
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            statements += 1
            guard statements <= Self.maxStatements else {
                throw MeshInspectionError(.limitExceeded, "The material library has more than \(Self.maxStatements) statements.")
            }
            let words = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let keyword = words.first, !keyword.hasPrefix("#") else { continue }
            if keyword == "newmtl" {
                current = words.dropFirst().joined(separator: " ")
                continue
            }
            if keyword == "Kd", let current, words.count >= 4 {
                diffuseColours[current] = (Double(words[1]) ?? 0.8, Double(words[2]) ?? 0.8, Double(words[3]) ?? 0.8)
                continue
            }
            guard let current, let slot = Self.slots[String(keyword)] else { continue }
            if let path = Self.path(afterOptions: Array(words.dropFirst())) {
                mapsByMaterial[current, default: [:]][slot] = path
            }
        }
    }

    /// The file name after any `-option value…` pairs; names may contain spaces.
    private static func path(afterOptions words: [Substring]) -> String? {
        var index = 0
        while index < words.count, let arity = optionArity[String(words[index])] {
            index += 1
            var taken = 0
            while taken < arity, index < words.count - 1, Double(words[index]) != nil || words[index] == "on" || words[index] == "off" {
                index += 1
                taken += 1
            }
            if taken == 0, index < words.count - 1 { index += 1 }
        }
        guard index < words.count else { return nil }
        return words[index...].joined(separator: " ")
    }

    /// The file a material's `map_Kd` names, if any.
    func diffuseTexture(of material: String) -> String? { mapsByMaterial[material]?["Kd"] }

    /// Distinct texture files used by the named materials.
    func textures(usedBy materials: Set<String>) -> Set<String> {
        var files = Set<String>()
        for material in materials {
            for path in mapsByMaterial[material]?.values ?? [:].values { files.insert(path) }
        }
        return files
    }
}
