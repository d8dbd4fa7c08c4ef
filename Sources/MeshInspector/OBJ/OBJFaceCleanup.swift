/// Blender 3.4.1's clean-up of one OBJ object's faces (`fixup_invalid_faces`), replayed exactly, quirk included.
///
/// Blender walks the object's faces in order. A face under 3 corners is removed; a face repeating a vertex is
/// removed and the polygons it is rebuilt into (`OBJFaceRepair`) appended at the end. Removal moves the *last* face
/// into the freed slot, and 3.4.1 then steps past that slot, so the moved face is never looked at: if it is itself
/// under 3 corners or repeats a vertex, it stays in the mesh as written. Blender's statistics then show it as a face
/// of n corners making n − 2 triangles, so a one-corner face left behind counts −1 triangle (checked: `f 1 2 3`,
/// `f 5 6`, `f 8` import as 2 faces and 0 triangles). Later Blender versions fixed the walk; 3.4.1 is the reference.
///
/// Only faces needing clean-up are stored (their position among the object's faces and their corners); faces
/// Blender keeps untouched are counted as they are read. The replay costs one 4-byte slot per face of an object
/// that has any face to clean, and nothing otherwise.
struct OBJFaceCleanup {
    enum Fate {
        /// Under 3 corners: gone.
        case removed
        /// Rebuilt into polygons by `OBJFaceRepair`.
        case repaired
        /// Skipped by Blender's walk: stays as written.
        case keptAsWritten
    }

    struct Face {
        /// Position among the object's faces, in file order.
        var position: Int
        var start: Int
        var count: Int
    }

    private(set) var faces: [Face] = []
    /// Corners of the stored faces, back to back.
    private(set) var corners: [UInt32] = []

    var isEmpty: Bool { faces.isEmpty }

    mutating func record(position: Int, corners faceCorners: [UInt32], limits: InspectionLimits) throws {
        guard corners.count + faceCorners.count <= limits.maxElements, faces.count < limits.maxElements else {
            throw MeshInspectionError(
                .limitExceeded, "The OBJ file has more than \(limits.maxElements) corners in faces Blender must repair.")
        }
        faces.append(Face(position: position, start: corners.count, count: faceCorners.count))
        corners.append(contentsOf: faceCorners)
    }

    func corners(of face: Face) -> ArraySlice<UInt32> { corners[face.start..<(face.start + face.count)] }

    /// What Blender's walk does with each stored face, given how many faces the object has and how many polygons
    /// each repaired face becomes.
    func fates(faceCount: Int, polygonsAfterRepair: (Face) -> Int) -> [Fate] {
        // Each slot holds a stored face's number, or -1 for a face Blender keeps untouched (read or appended).
        var slots = [Int32](repeating: -1, count: faceCount)
        for (number, face) in faces.enumerated() where face.position < faceCount { slots[face.position] = Int32(number) }
        var fates = [Fate](repeating: .keptAsWritten, count: faces.count)
        var index = 0
        while index < slots.count {
            let number = Int(slots[index])
            if number >= 0 {
                let face = faces[number]
                slots[index] = slots[slots.count - 1]
                slots.removeLast()
                if face.count < 3 {
                    fates[number] = .removed
                } else {
                    fates[number] = .repaired
                    slots.append(contentsOf: repeatElement(-1, count: polygonsAfterRepair(face)))
                }
            }
            index += 1
        }
        return fates
    }
}
