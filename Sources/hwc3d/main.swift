import HWC3D

await HWC3DMain.run()
