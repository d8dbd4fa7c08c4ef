#!/usr/bin/env python3
"""Measures ShapeFingerprint (Sources/MeshInspector/Fingerprint) against Blender 3.4's own exports.

Run with plain Python 3 from the repository root (Blender 3.4 on PATH; a numpy older than 1.24 for its glTF add-on
is installed beside the generated files if Blender has none); it takes several minutes on two cores:

    python3 scripts/measure-fingerprints.py            # generate with Blender, then measure in Swift (release)
    python3 scripts/measure-fingerprints.py --measure  # measure the files generated last time again

One headless Blender writes, under .build-fingerprints/ (FINGERPRINT_WORK overrides it; never committed):
- copies: the corpus fixtures of Tests/MeshInspectorTests/Fixtures imported into Blender, and a set of primitives
  and modified primitives, each exported to GLB, glTF (embedded), OBJ, FBX and BLEND, every copy under its own
  random rotation, translation and uniform scale (an empty parent carries it). Each copy must match its original
  (the fixture file itself, or the untransformed GLB);
- thinning: a Suzanne subdivided to about a million triangles, whose fingerprint from the whole mesh must match the
  ones from previews thinned to 1M, 250k and 50k triangles;
- distinct: 1,000 generated models (random combinations of primitives with random proportions, randomly displaced
  spheres, a cube with random extrusions) plus the primitives, which must not match each other (all pairs);
- near: near-duplicates (a cube and bevelled cubes, a sphere at several resolutions, a stretched box, Suzanne
  smoothed or jittered), reported with their distances, not judged.

Then the opt-in test FingerprintMeasurement (Tests/MeshInspectorTests/Fingerprint) fingerprints every file through
MeshInspector.geometry, in a release build, and prints the report (also written to .build-fingerprints/report.json).

Last run (fingerprint version 1, threshold 0.01; 1,239 files, all readable):
- copies: 168 of 168 match (worst 0.0034: OBJ 0.0034, FBX 0.0023, GLB and glTF 0.0021, BLEND 0.0018; thinned previews
  0.0029), all in a neighbouring bucket. Ten more copies are other scenes, not conversions: Blender's importer drops 6
  of handmade.glb's 44 triangles (0.034), and its exporters change the instanced BLEND fixtures' content (instances
  dropped, duplicated or realised differently: 2,916 → 2,928 or 2,940, 2,940 → 4,900 triangles); those are listed
  apart and, but for one at 0.0094, do not match;
- distinct: 0 of 514,605 pairs match; closest pair 0.0191 (two cubes with random extrusions), then 0.022, 0.024; at
  0.02 one pair would match, at 0.05, 424;
- near-duplicates: see ShapeFingerprint.matchThreshold;
- time, on two cores with a load average of 12: 1,007,616 triangles in 109 ms (best of 5; median 140 ms), a
  6-triangle scene in 54 ms (the fixed cost of the sampled pairs and triples).
"""

import json
import math
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "Tests", "MeshInspectorTests", "Fixtures")
WORK = os.environ.get("FINGERPRINT_WORK", os.path.join(ROOT, ".build-fingerprints"))

# Fixtures Blender imports as the whole model (points, lines and loose vertices aside, which have no surface);
# Blender cannot import ASCII FBX.
CORPUS = [
    "gltf/cube.glb", "gltf/suzanne.glb", "gltf/uv_sphere.glb", "gltf/quads_ngons.glb", "gltf/multi_material.glb",
    "gltf/instanced.glb", "gltf/rigged_character.glb", "gltf/textured_embedded.gltf", "gltf/handmade.glb",
    "gltf/strips_embedded.gltf",
    "obj/handmade.obj", "obj/quads_ngons.obj",
    "fbx/suzanne-7500.fbx", "fbx/ngon.fbx", "fbx/multimaterial.fbx", "fbx/rigged.fbx",
    "blend/ngon-uncompressed.blend", "blend/instanced-zstd.blend", "blend/collection-instances-zstd.blend",
    "blend/rigged-zstd.blend",
]
FORMATS = ["glb", "gltf", "obj", "fbx", "blend"]
DISTINCT_PER_KIND = {"combo": 400, "displaced": 300, "extruded": 300}


# ---------------------------------------------------------------------------------------------------------------
# Inside Blender
# ---------------------------------------------------------------------------------------------------------------

def generate(out):
    import bmesh
    import bpy
    from mathutils import Matrix, Quaternion, Vector

    manifest = {"entries": [], "near": []}
    rng = random.Random(20261208)

    def entry(model, path, role, distinct=False, what="", max_triangles=None):
        manifest["entries"].append({"model": model, "file": os.path.relpath(path, out), "role": role,
                                    "distinct": distinct, "what": what, "maxTriangles": max_triangles})

    def empty_scene():
        bpy.ops.wm.read_factory_settings(use_empty=True)

    def clear():
        for obj in list(bpy.data.objects):
            bpy.data.objects.remove(obj, do_unlink=True)
        for mesh in list(bpy.data.meshes):
            bpy.data.meshes.remove(mesh)

    def link(name, bm):
        mesh = bpy.data.meshes.new(name)
        bm.to_mesh(mesh)
        bm.free()
        obj = bpy.data.objects.new(name, mesh)
        bpy.context.scene.collection.objects.link(obj)
        return obj

    def random_rotation(r):
        a, b, c = r.random(), 2 * math.pi * r.random(), 2 * math.pi * r.random()
        return Quaternion((math.sqrt(a) * math.cos(c), math.sqrt(1 - a) * math.sin(b), math.sqrt(1 - a) * math.cos(b),
                           math.sqrt(a) * math.sin(c))).to_matrix().to_4x4()

    def random_placement(r):
        scale = math.exp(r.uniform(math.log(0.05), math.log(20)))
        offset = Vector([r.uniform(-20, 20) for _ in range(3)])
        return Matrix.Translation(offset) @ random_rotation(r) @ Matrix.Scale(scale, 4)

    def export(path, kind):
        if kind == "glb":
            bpy.ops.export_scene.gltf(filepath=path, export_format="GLB")
        elif kind == "gltf":
            bpy.ops.export_scene.gltf(filepath=path, export_format="GLTF_EMBEDDED")
        elif kind == "obj":
            bpy.ops.wm.obj_export(filepath=path, export_materials=False)
        elif kind == "fbx":
            bpy.ops.export_scene.fbx(filepath=path)
        elif kind == "blend":
            bpy.ops.wm.save_as_mainfile(filepath=path, copy=True, compress=True)

    def export_copies(model, stem):
        """Every format, each under its own random placement, carried by an empty that parents the scene's roots."""
        scene = bpy.context.scene
        holder = bpy.data.objects.new("Placement", None)
        scene.collection.objects.link(holder)
        # Objects a collection instance shows stay put: moving them too would move every instance twice.
        sources = {o for obj in scene.objects if obj.instance_collection for o in obj.instance_collection.all_objects}
        for obj in list(scene.objects):
            if obj.parent is None and obj is not holder and obj not in sources:
                world = obj.matrix_world.copy()
                obj.parent = holder
                obj.matrix_parent_inverse = Matrix.Identity(4)
                obj.matrix_world = world
        for kind in FORMATS:
            holder.matrix_world = random_placement(rng)
            bpy.context.view_layer.update()
            path = os.path.join(out, "copies", "%s.%s" % (stem, kind))
            export(path, kind)
            entry(model, path, "copy", what=kind)

    # Shapes, built with bmesh so no modifier is left for a reader to evaluate.

    def torus(bm, major, minor, segments, rings, matrix):
        grid = []
        for i in range(segments):
            u = 2 * math.pi * i / segments
            row = []
            for j in range(rings):
                v = 2 * math.pi * j / rings
                ring = major + minor * math.cos(v)
                row.append(bm.verts.new(matrix @ Vector((ring * math.cos(u), ring * math.sin(u), minor * math.sin(v)))))
            grid.append(row)
        for i in range(segments):
            for j in range(rings):
                a, b = grid[i][j], grid[(i + 1) % segments][j]
                c, d = grid[(i + 1) % segments][(j + 1) % rings], grid[i][(j + 1) % rings]
                bm.faces.new((a, b, c, d))

    def primitive(bm, kind, matrix, r=None):
        if kind == "cube":
            bmesh.ops.create_cube(bm, size=1, matrix=matrix)
        elif kind == "uvsphere":
            bmesh.ops.create_uvsphere(bm, u_segments=24, v_segments=12, radius=0.5, matrix=matrix)
        elif kind == "icosphere":
            bmesh.ops.create_icosphere(bm, subdivisions=2, radius=0.5, matrix=matrix)
        elif kind == "cylinder":
            bmesh.ops.create_cone(bm, cap_ends=True, segments=24, radius1=0.5, radius2=0.5, depth=1, matrix=matrix)
        elif kind == "cone":
            top = 0.0 if r is None else r.choice([0.0, r.uniform(0.1, 0.4)])
            bmesh.ops.create_cone(bm, cap_ends=True, segments=24, radius1=0.5, radius2=top, depth=1, matrix=matrix)
        elif kind == "torus":
            torus(bm, 0.5, 0.15 if r is None else r.uniform(0.05, 0.3), 32, 12, matrix)
        elif kind == "monkey":
            bmesh.ops.create_monkey(bm, matrix=matrix)
        elif kind == "grid":
            bmesh.ops.create_grid(bm, x_segments=10, y_segments=10, size=1, matrix=matrix)

    def combo(r):
        bm = bmesh.new()
        for _ in range(r.randint(2, 4)):
            kind = r.choice(["cube", "uvsphere", "icosphere", "cylinder", "cone", "torus"])
            scale = Matrix.Diagonal([r.uniform(0.2, 1.6) for _ in range(3)] + [1])
            offset = Matrix.Translation([r.uniform(-1.2, 1.2) for _ in range(3)])
            primitive(bm, kind, offset @ random_rotation(r) @ scale, r)
        return bm

    def displaced(r, subdivisions=4):
        bm = bmesh.new()
        bmesh.ops.create_icosphere(bm, subdivisions=subdivisions, radius=1)
        waves = []
        for _ in range(r.randint(3, 6)):
            direction = Vector([r.gauss(0, 1) for _ in range(3)]).normalized()
            waves.append((r.uniform(0.05, 0.3), r.uniform(1, 6), direction, r.uniform(0, 2 * math.pi)))
        for vert in bm.verts:
            n = vert.co.normalized()
            vert.co = n * (1 + sum(a * math.sin(f * n.dot(d) + p) for a, f, d, p in waves))
        return bm

    def extruded(r):
        bm = bmesh.new()
        bmesh.ops.create_cube(bm, size=2)
        bmesh.ops.subdivide_edges(bm, edges=bm.edges[:], cuts=2, use_grid_fill=True)
        for face in r.sample(list(bm.faces), r.randint(3, 6)):
            if not face.is_valid:
                continue
            normal, centre = face.normal.copy(), face.calc_center_median()
            result = bmesh.ops.extrude_face_region(bm, geom=[face])
            verts = [g for g in result["geom"] if isinstance(g, bmesh.types.BMVert)]
            length, shrink = r.uniform(0.2, 1.2), r.uniform(0.4, 1.0)
            for vert in verts:
                vert.co = centre + (vert.co - centre) * shrink + normal * length
            bmesh.ops.delete(bm, geom=[face], context="FACES_ONLY")
        return bm

    def bevelled_cube(width, segments):
        bm = bmesh.new()
        bmesh.ops.create_cube(bm, size=2)
        if width > 0:
            bmesh.ops.bevel(bm, geom=bm.verts[:] + bm.edges[:], offset=width, segments=segments, profile=0.5,
                            affect="EDGES")
        return bm

    def smoothed(bm, levels):
        obj = link("smoothed", bm)
        modifier = obj.modifiers.new("Subdivision", "SUBSURF")
        modifier.levels = levels
        evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
        mesh = bpy.data.meshes.new_from_object(evaluated)
        result = bmesh.new()
        result.from_mesh(mesh)
        bpy.data.objects.remove(obj, do_unlink=True)
        return result

    def single(kind, **options):
        bm = bmesh.new()
        primitive(bm, kind, Matrix.Scale(2, 4), **options)
        return bm

    def write_glb(model, bm, role, distinct=False, what="", subfolder="models"):
        clear()
        link(model, bm)
        path = os.path.join(out, subfolder, model + ".glb")
        export(path, "glb")
        entry(model, path, role, distinct=distinct, what=what)

    for sub in ("copies", "models"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)

    # Copies of the corpus fixtures: the fixture itself is the original.
    for fixture in CORPUS:
        empty_scene()
        source = os.path.join(FIXTURES, fixture)
        if fixture.endswith(".blend"):
            bpy.ops.wm.open_mainfile(filepath=source)
        elif fixture.endswith((".glb", ".gltf")):
            bpy.ops.import_scene.gltf(filepath=source)
        elif fixture.endswith(".obj"):
            bpy.ops.wm.obj_import(filepath=source)
        else:
            bpy.ops.import_scene.fbx(filepath=source)
        model = "fixture:" + fixture
        entry(model, source, "original", what="fixture")
        export_copies(model, fixture.replace("/", "-"))

    # Primitives and modified primitives: the untransformed GLB is the original; they are also distinct models.
    shapes = {
        "cube": lambda: single("cube"), "uvsphere": lambda: single("uvsphere"),
        "icosphere": lambda: single("icosphere"), "cylinder": lambda: single("cylinder"),
        "cone": lambda: single("cone"), "torus": lambda: single("torus"), "monkey": lambda: single("monkey"),
        "grid": lambda: single("grid"), "bevelled-cube": lambda: bevelled_cube(0.2, 3),
        "smooth-monkey": lambda: smoothed(single("monkey"), 2),
        "extruded-cube": lambda: extruded(random.Random(1)), "displaced-sphere": lambda: displaced(random.Random(2)),
        "combo-a": lambda: combo(random.Random(3)), "combo-b": lambda: combo(random.Random(4)),
        "combo-c": lambda: combo(random.Random(5)),
    }
    for name, build in shapes.items():
        model = "primitive:" + name
        empty_scene()
        link(model, build())
        path = os.path.join(out, "models", name + ".glb")
        export(path, "glb")
        entry(model, path, "original", distinct=True, what="primitive")
        export_copies(model, name)

    # Thinning: a million-triangle Suzanne, read whole and as thinned previews.
    empty_scene()
    link("dense-monkey", smoothed(single("monkey"), 5))
    path = os.path.join(out, "models", "dense-monkey.glb")
    export(path, "glb")
    entry("dense-monkey", path, "original", what="whole", max_triangles=4_000_000)
    for budget in (1_000_000, 250_000, 50_000):
        entry("dense-monkey", path, "copy", what="preview of %d triangles" % budget, max_triangles=budget)

    # Distinct generated models.
    empty_scene()
    builders = {"combo": combo, "displaced": displaced, "extruded": extruded}
    for kind, count in DISTINCT_PER_KIND.items():
        for index in range(count):
            r = random.Random("%s-%d" % (kind, index))
            write_glb("%s-%03d" % (kind, index), builders[kind](r), "original", distinct=True, what=kind)

    # Near-duplicates of the cube, the sphere, a box and Suzanne.
    def near(base, model, bm, what):
        write_glb(model, bm, "original", what=what, subfolder="near")
        manifest["near"].append({"a": base, "b": model, "what": what})

    os.makedirs(os.path.join(out, "near"), exist_ok=True)
    for width in (0.005, 0.02, 0.05, 0.1, 0.2, 0.4):
        for segments in (1, 4):
            near("primitive:cube", "bevel-%g-%d" % (width, segments), bevelled_cube(width, segments),
                 "cube (size 2) bevelled %g with %d segment(s)" % (width, segments))
    for segments, rings in ((48, 24), (16, 8), (8, 4)):
        bm = bmesh.new()
        bmesh.ops.create_uvsphere(bm, u_segments=segments, v_segments=rings, radius=1)
        near("primitive:uvsphere", "uvsphere-%dx%d" % (segments, rings), bm, "UV sphere %d×%d vs 24×12" % (segments, rings))
    bm = bmesh.new()
    bmesh.ops.create_icosphere(bm, subdivisions=3, radius=1)
    near("primitive:uvsphere", "icosphere-3", bm, "icosphere (3 subdivisions) vs UV sphere 24×12")
    for stretch in (1.02, 1.05, 1.1, 1.25):
        bm = bmesh.new()
        bmesh.ops.create_cube(bm, size=2, matrix=Matrix.Diagonal((1, 1, stretch, 1)))
        near("primitive:cube", "box-%g" % stretch, bm, "cube vs box stretched ×%g along one axis" % stretch)
    near("primitive:monkey", "monkey-smooth-1", smoothed(single("monkey"), 1), "Suzanne vs Suzanne subdivided once")
    near("primitive:smooth-monkey", "monkey-smooth-3", smoothed(single("monkey"), 3), "Suzanne subdivided twice vs 3 times")
    for amount in (0.005, 0.02):
        bm = single("monkey")
        jitter = random.Random(7)
        for vert in bm.verts:
            vert.co += Vector([jitter.uniform(-amount, amount) for _ in range(3)]) * 2
        near("primitive:monkey", "monkey-jitter-%g" % amount, bm, "Suzanne with vertices jittered ±%g of its size" % amount)
    bm = single("monkey")
    bmesh.ops.delete(bm, geom=[v for v in bm.verts if v.co.x > 1.2], context="VERTS")
    near("primitive:monkey", "monkey-one-ear", bm, "Suzanne vs Suzanne with one ear cut off")

    with open(os.path.join(out, "manifest.json"), "w") as handle:
        json.dump(manifest, handle, indent=1)
    print("FINGERPRINT-GENERATED %d files" % len(manifest["entries"]))


# ---------------------------------------------------------------------------------------------------------------
# Driver (plain Python)
# ---------------------------------------------------------------------------------------------------------------

def run_blender():
    command = ["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python", os.path.abspath(__file__),
               "--", "generate", WORK]
    # Blender embeds the system Python; a pyenv or virtualenv python3 first on PATH would hide the system numpy.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYENV", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".pyenv" not in p and "venv" not in p)
    # Blender 3.4's glTF importer needs a numpy from before 1.24 (it uses np.bool). Without one, a numpy wheel for
    # Blender's Python (3.11) goes beside the generated files, ahead of the system's on the path.
    probe = subprocess.run(["blender", "-b", "--factory-startup", "--python-exit-code", "1", "--python-expr",
                            "import numpy; numpy.bool"], capture_output=True, env=env)
    if probe.returncode != 0:
        target = os.path.join(WORK, "pydeps")
        if not os.path.isdir(os.path.join(target, "numpy")):
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", target, "--python-version",
                            "3.11", "--only-binary=:all:", "--platform", "manylinux2014_x86_64", "numpy<1.24"], check=True)
        env["PYTHONPATH"] = target
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    if run.returncode != 0 or "FINGERPRINT-GENERATED" not in run.stdout:
        sys.exit("Blender failed:\n%s%s" % (run.stdout[-4000:], run.stderr[-4000:]))
    print([line for line in run.stdout.splitlines() if line.startswith("FINGERPRINT-GENERATED")][0])


def run_swift():
    env = dict(os.environ)
    env["FINGERPRINT_MEASURE"] = os.path.join(WORK, "manifest.json")
    env["FINGERPRINT_REPORT"] = os.path.join(WORK, "report.json")
    package = os.path.join(os.environ.get("MESH_TEST_DIR", os.path.join(ROOT, ".build-mesh")), "pkg")
    # test-mesh.sh writes the scratch package; a release build (with testing enabled) times the real thing.
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "test-mesh.sh"), "FingerprintMeasurementTests/__none__"],
                   check=True, capture_output=True)
    run = subprocess.run(["swift", "test", "--package-path", package, "-c", "release", "-Xswiftc", "-enable-testing",
                          "--filter", "FingerprintMeasurement"], env=env, capture_output=True, text=True)
    print("\n".join(line[len("FINGERPRINT "):] for line in run.stdout.splitlines() if line.startswith("FINGERPRINT ")))
    if run.returncode != 0:
        sys.exit("The measurement failed:\n%s%s" % (run.stdout[-4000:], run.stderr[-4000:]))


def main():
    if "--measure" not in sys.argv:
        os.makedirs(WORK, exist_ok=True)
        run_blender()
    run_swift()


if __name__ == "__main__":
    if "--" in sys.argv and sys.argv[sys.argv.index("--") + 1] == "generate":
        generate(sys.argv[sys.argv.index("--") + 2])
    else:
        main()
