import Foundation
import HWC3D

// `hwc3d inspect` needs only the mesh readers: it runs before anything of the server (settings, logging, Vapor)
// starts, so it works on a machine with no configuration.
if InspectCommand.isRequested(CommandLine.arguments) {
    exit(InspectCommand.run(Array(CommandLine.arguments.dropFirst(2))))
}

HWC3DMain.runTasksOnEventLoops()
await HWC3DMain.run()
