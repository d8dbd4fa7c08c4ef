#!/usr/bin/env bash
# Builds and runs only MeshInspectorTests, in a scratch package that links MeshInspector alone (no Vapor, no
# database): a minute instead of the whole suite's build, for work on the 3D readers.
#
#   scripts/test-mesh.sh [swift-test filter]
#
# The scratch package lives in .build-mesh (MESH_TEST_DIR overrides it) and links to this checkout's sources, so
# edits are picked up on the next run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="${MESH_TEST_DIR:-$ROOT/.build-mesh}/pkg"
mkdir -p "$PKG/Sources" "$PKG/Tests"
ln -sfn "$ROOT/Sources/CCompression" "$PKG/Sources/CCompression"
ln -sfn "$ROOT/Sources/MeshInspector" "$PKG/Sources/MeshInspector"
ln -sfn "$ROOT/Tests/MeshInspectorTests" "$PKG/Tests/MeshInspectorTests"
cat > "$PKG/Package.swift" <<'MANIFEST'
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "mesh-tests",
    dependencies: [.package(url: "https://github.com/weichsel/ZIPFoundation.git", from: "0.9.19")],
    targets: [
        .systemLibrary(name: "CCompression", path: "Sources/CCompression"),
        .target(name: "MeshInspector", dependencies: ["CCompression", .product(name: "ZIPFoundation", package: "ZIPFoundation")],
                path: "Sources/MeshInspector"),
        .testTarget(name: "MeshInspectorTests", dependencies: ["MeshInspector"], path: "Tests/MeshInspectorTests",
                    resources: [.copy("Fixtures")]),
    ],
    swiftLanguageModes: [.v6]
)
MANIFEST

if [ $# -gt 0 ]; then
    swift test --package-path "$PKG" --filter "$1"
else
    swift test --package-path "$PKG"
fi
