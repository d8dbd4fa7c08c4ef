#!/usr/bin/env bash
# Speed and memory of the 3D analysis on 100 MB inputs (issue targets: GLB < 1 s, OBJ < 3 s, peak RSS < 2x the
# file size).
#
#   scripts/bench-mesh.sh [runs]        (default 5 runs per file; BENCH_DIR=... to keep the work folder)
#
# A release build of the whole server is slow, so this builds a small release executable in a scratch package that
# links only MeshInspector (the same `InspectCommand` as `hwc3d inspect`). The inputs are generated here, never
# committed. Each run is timed with /usr/bin/time (wall time and peak RSS); the medians are reported.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${1:-5}"
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/hwc3d-mesh-bench}"
PKG="$WORK/pkg"
mkdir -p "$PKG/Sources/meshinspect" "$WORK/data"

# --- scratch package: MeshInspector + the inspect command, nothing of the server ---------------------------------
ln -sfn "$ROOT/Sources/CCompression" "$PKG/Sources/CCompression"
ln -sfn "$ROOT/Sources/MeshInspector" "$PKG/Sources/MeshInspector"
ln -sfn "$ROOT/Sources/hwc3d/InspectCommand.swift" "$PKG/Sources/meshinspect/InspectCommand.swift"
cat > "$PKG/Sources/meshinspect/main.swift" <<'EOF'
import Foundation
exit(InspectCommand.run(Array(CommandLine.arguments.dropFirst())))
EOF
cat > "$PKG/Package.swift" <<'EOF'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "mesh-bench",
    dependencies: [.package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19")],
    targets: [
        .systemLibrary(name: "CCompression", path: "Sources/CCompression"),
        .target(name: "MeshInspector", dependencies: ["CCompression", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                path: "Sources/MeshInspector"),
        .executableTarget(name: "meshinspect", dependencies: ["MeshInspector"], path: "Sources/meshinspect"),
    ],
    swiftLanguageModes: [.v6]
)
EOF
echo "== building release meshinspect in $PKG"
swift build -c release --package-path "$PKG" --product meshinspect 2>&1 | tail -n 3
BIN="$PKG/.build/release/meshinspect"

# --- 100 MB inputs ----------------------------------------------------------------------------------------------
python3 - "$WORK/data" <<'EOF'
import array, json, os, struct, sys
out = sys.argv[1]
target = 100 * 1000 * 1000

glb = os.path.join(out, "big.glb")
if not os.path.exists(glb):
    # A heightfield grid split into 4 primitives: float positions and normals, uint32 triangle indices, like a
    # scanned or sculpted model exported by a DCC tool. 24 bytes per vertex + 24 per quad = ~100 MB.
    side = 1020
    parts = 2
    binary = bytearray()
    accessors, views, primitives = [], [], []
    def add_view(data, target_kind):
        while len(binary) % 4:
            binary.append(0)
        views.append({"buffer": 0, "byteOffset": len(binary), "byteLength": len(data), "target": target_kind})
        binary.extend(data)
        return len(views) - 1
    for part in range(parts):
        positions = array.array("f")
        normals = array.array("f")
        for y in range(side):
            row = [(x * 0.01, y * 0.01, part * 0.5 + ((x * 7 + y * 13) % 17) * 0.001) for x in range(side)]
            for p in row:
                positions.extend(p)
                normals.extend((0.0, 0.0, 1.0))
        indices = array.array("I")
        for y in range(side - 1):
            base = y * side
            for x in range(side - 1):
                a = base + x
                indices.extend((a, a + 1, a + side + 1, a, a + side + 1, a + side))
        pv = add_view(positions.tobytes(), 34962)
        nv = add_view(normals.tobytes(), 34962)
        iv = add_view(indices.tobytes(), 34963)
        count = side * side
        accessors.append({"bufferView": pv, "componentType": 5126, "count": count, "type": "VEC3",
                          "min": [0, 0, part * 0.5], "max": [(side - 1) * 0.01, (side - 1) * 0.01, part * 0.5 + 0.016]})
        accessors.append({"bufferView": nv, "componentType": 5126, "count": count, "type": "VEC3"})
        accessors.append({"bufferView": iv, "componentType": 5125, "count": len(indices), "type": "SCALAR"})
        primitives.append({"attributes": {"POSITION": len(accessors) - 3, "NORMAL": len(accessors) - 2},
                           "indices": len(accessors) - 1})
    while len(binary) % 4:
        binary.append(0)
    doc = {"asset": {"version": "2.0", "generator": "bench-mesh.sh"}, "scene": 0, "scenes": [{"nodes": [0]}],
           "nodes": [{"mesh": 0}], "meshes": [{"primitives": primitives}], "accessors": accessors,
           "bufferViews": views, "buffers": [{"byteLength": len(binary)}]}
    text = json.dumps(doc).encode()
    text += b" " * ((4 - len(text) % 4) % 4)
    body = struct.pack("<I4s", len(text), b"JSON") + text + struct.pack("<I4s", len(binary), b"BIN\0") + binary
    with open(glb, "wb") as f:
        f.write(struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body)

obj = os.path.join(out, "big.obj")
if not os.path.exists(obj):
    # The shape of a typical exporter's output: positions, UVs and normals, then v/vt/vn triangles.
    side = 820
    with open(obj, "w") as f:
        f.write("# bench-mesh.sh\nmtllib big.mtl\no Grid\n")
        for y in range(side):
            f.write("".join("v %.6f %.6f %.6f\n" % (x * 0.01, y * 0.01, ((x * 7 + y * 13) % 17) * 0.001)
                            for x in range(side)))
        for y in range(side):
            f.write("".join("vt %.6f %.6f\n" % (x / side, y / side) for x in range(side)))
        f.write("vn 0.0000 0.0000 1.0000\nusemtl Ground\ns 1\n")
        written = f.tell()
        for y in range(side - 1):
            lines = []
            for x in range(side - 1):
                a = y * side + x + 1
                b, c, d = a + 1, a + side + 1, a + side
                lines.append("f %d/%d/1 %d/%d/1 %d/%d/1\nf %d/%d/1 %d/%d/1 %d/%d/1\n" % (a, a, b, b, c, c, a, a, c, c, d, d))
            f.write("".join(lines))
for name in ("big.glb", "big.obj"):
    print("%s: %.1f MB" % (name, os.path.getsize(os.path.join(out, name)) / 1e6))
EOF

# --- runs ----------------------------------------------------------------------------------------------------------
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

bench() {
    local file="$1" target_seconds="$2" size_mb times rss line
    size_mb=$(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f", b / 1e6 }')
    "$BIN" "$file" > "$WORK/report.txt"   # warm the page cache; the runs then measure parsing, not the disk
    times=() rss=()
    for _ in $(seq "$RUNS"); do
        line=$(/usr/bin/time -f "%e %M" "$BIN" "$file" 2>&1 >/dev/null | tail -n 1)
        times+=("${line% *}")
        rss+=("${line#* }")
    done
    local t m
    t=$(printf '%s\n' "${times[@]}" | median)
    m=$(printf '%s\n' "${rss[@]}" | median)
    awk -v name="$(basename "$file")" -v size="$size_mb" -v t="$t" -v m="$m" -v target="$target_seconds" -v runs="$RUNS" 'BEGIN {
        rss_mb = m / 1024
        printf "%-8s %6.1f MB  median %.2f s (target < %s s: %s)  peak RSS %.0f MB = %.2fx file (target < 2x: %s)  [%d runs]\n",
            name, size, t, target, (t < target ? "ok" : "MISSED"), rss_mb, rss_mb / size,
            (rss_mb / size < 2 ? "ok" : "MISSED"), runs
    }'
    sed 's/^/    /' "$WORK/report.txt" | head -n 6
}

echo "== timing ($RUNS runs each, warm page cache)"
bench "$WORK/data/big.glb" 1
bench "$WORK/data/big.obj" 3
