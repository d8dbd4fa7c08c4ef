"""Painted scene fixtures for the preview's texture paths (run: blender -b --factory-startup --python this).

A UV sphere whose material's Base Color is a packed 64 x 64 JPEG (left half orange, right half teal, a white
band at the top of the image) and a cube with a plain blue Principled base colour, saved three ways: GLB with
the JPEG in a bufferView, FBX with the image embedded, .blend (gzip) with the image packed.
"""
import os, tempfile
import bpy
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "MeshInspectorTests", "Fixtures", "textures")
JPEG = os.path.join(tempfile.mkdtemp(), "paint.jpg")
bpy.ops.wm.read_factory_settings(use_empty=True)
# 64x64 image: left half orange, right half teal, a white top band
img = bpy.data.images.new("paint", 64, 64)
px = []
for y in range(64):
    for x in range(64):
        if y > 48: px += [1, 1, 1, 1]
        elif x < 32: px += [1.0, 0.4, 0.05, 1]
        else: px += [0.05, 0.6, 0.6, 1]
img.pixels = px
img.filepath_raw = JPEG; img.file_format = "JPEG"; img.save()
img2 = bpy.data.images.load(JPEG); img2.pack()
bpy.ops.mesh.primitive_uv_sphere_add(segments=32, ring_count=16)
ob = bpy.context.active_object
bpy.ops.object.shade_smooth()
mat = bpy.data.materials.new("Painted"); mat.use_nodes = True
nt = mat.node_tree; bsdf = nt.nodes["Principled BSDF"]
tex = nt.nodes.new("ShaderNodeTexImage"); tex.image = img2
nt.links.new(tex.outputs["Color"], bsdf.inputs["Base Color"])
ob.data.materials.append(mat)
bpy.ops.mesh.primitive_cube_add(location=(3, 0, 0))
m2 = bpy.data.materials.new("Plain"); m2.use_nodes = True
m2.node_tree.nodes["Principled BSDF"].inputs["Base Color"].default_value = (0.1, 0.2, 0.8, 1)
bpy.context.active_object.data.materials.append(m2)
bpy.ops.wm.save_as_mainfile(filepath=os.path.join(OUT, "painted.blend"), compress=True)
bpy.ops.export_scene.gltf(filepath=os.path.join(OUT, "painted.glb"), export_format="GLB", export_image_format="JPEG")
bpy.ops.export_scene.fbx(filepath=os.path.join(OUT, "painted.fbx"), path_mode="COPY", embed_textures=True)
