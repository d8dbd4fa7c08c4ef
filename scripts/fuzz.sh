#!/usr/bin/env bash
# Fuzzes every mesh reader with libFuzzer for a fixed time budget and fails on any crash, timeout or OOM.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]
#
# Targets: glb gltf obj zip fbx-binary fbx-ascii blend any texture preview (default: all). "any" sniffs the type
# first, as uploads are; "texture" runs the preview's PNG/JPEG decoders, "preview" extracts preview geometry
# (materials and textures included) and renders every view small. Corpora are seeded from Tests/MeshInspectorTests/Fixtures and kept in .build-fuzz/corpus between runs;
# crashing inputs land in .build-fuzz/artifacts/<target>/ and their paths are printed.
#
# The harness (Fuzz/) is built in a scratch package that links only MeshInspector, with
# `-sanitize=fuzzer,address` (libFuzzer and AddressSanitizer ship with the Swift toolchain), in release mode so the
# budget buys many executions; overflow and bounds traps stay on in release Swift.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUDGET="${1:-30}"
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(glb gltf obj zip fbx-binary fbx-ascii blend any texture preview)
fi
WORK="${FUZZ_DIR:-$ROOT/.build-fuzz}"
PKG="$WORK/pkg"
FIXTURES="$ROOT/Tests/MeshInspectorTests/Fixtures"

mkdir -p "$PKG/Sources/meshfuzz"
ln -sfn "$ROOT/Sources/CCompression" "$PKG/Sources/CCompression"
ln -sfn "$ROOT/Sources/MeshInspector" "$PKG/Sources/MeshInspector"
for file in "$ROOT"/Fuzz/*.swift; do ln -sfn "$file" "$PKG/Sources/meshfuzz/$(basename "$file")"; done
cat > "$PKG/Package.swift" <<'EOF'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "mesh-fuzz",
    dependencies: [.package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19")],
    targets: [
        .systemLibrary(name: "CCompression", path: "Sources/CCompression"),
        .target(name: "MeshInspector", dependencies: ["CCompression", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                path: "Sources/MeshInspector"),
        .executableTarget(name: "meshfuzz", dependencies: ["MeshInspector"], path: "Sources/meshfuzz"),
    ],
    swiftLanguageModes: [.v6]
)
EOF

echo "== building the fuzz harness (release, -sanitize=fuzzer,address)"
# lld, not gold: gold fails on the sanitizer-instrumented objects (internal error in its DWARF reader).
swift build -c release --package-path "$PKG" --product meshfuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld 2>&1 | tail -n 2
FUZZER="$PKG/.build/release/meshfuzz"

seeds() {
    case "$1" in
        glb) find "$FIXTURES"/gltf "$FIXTURES"/quality -name "*.glb" ;;
        gltf) ls "$FIXTURES"/gltf/*.gltf ;;
        obj) ls "$FIXTURES"/obj/*.obj ;;
        zip) ls "$FIXTURES"/bundles/*.zip ;;
        fbx-binary) grep -l "Kaydara FBX Binary" "$FIXTURES"/fbx/*.fbx 2>/dev/null || true ;;
        fbx-ascii) grep -L "Kaydara FBX Binary" "$FIXTURES"/fbx/*.fbx 2>/dev/null || true ;;
        blend) find "$FIXTURES"/blend "$FIXTURES"/quality -name "*.blend" 2>/dev/null || true ;;
        any) find "$FIXTURES" -type f ! -name "*.json" ! -name "*.md" ;;
        texture) find "$FIXTURES" -type f \( -name "*.png" -o -name "*.jpg" \) ;;
        preview) ls "$FIXTURES"/gltf/*.gltf "$FIXTURES"/gltf/multi_material.glb "$FIXTURES"/bundles/*.zip "$FIXTURES"/fbx/multimaterial.fbx "$FIXTURES"/blend/cube-zstd.blend ;;
    esac
}

failed=0
summary=()
for target in "${TARGETS[@]}"; do
    corpus="$WORK/corpus/$target"
    artifacts="$WORK/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    while IFS= read -r seed; do
        [ -n "$seed" ] && cp -n "$seed" "$corpus/" 2>/dev/null || true
    done < <(seeds "$target")
    log="$WORK/$target.log"
    echo "== fuzzing $target for ${BUDGET}s ($(ls "$corpus" | wc -l) corpus files)"
    set +e
    MESH_FUZZ_FORMAT="$target" "$FUZZER" "$corpus" \
        -max_total_time="$BUDGET" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 > "$log" 2>&1
    status=$?
    set -e
    execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log" | tail -n 1)
    if [ "$status" -ne 0 ]; then
        failed=1
        summary+=("$target: FAILED after ${execs:-?} executions")
        echo "!! $target crashed; last lines of $log:"
        grep -E "ERROR|Fatal|fault|overflow|SUMMARY|Test unit written" "$log" | tail -n 8 || tail -n 20 "$log"
        ls -1 "$artifacts"/ | sed "s|^|   crashing input: $artifacts/|"
    else
        summary+=("$target: ok, ${execs:-?} executions, no crash")
    fi
done

echo "== fuzz summary (${BUDGET}s per target)"
printf '   %s\n' "${summary[@]}"
exit "$failed"
