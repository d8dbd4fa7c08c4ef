import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of an uploaded file.
///
/// Mapping instead of reading keeps a 100 MB upload from costing 100 MB of heap: readers touch only the pages they
/// need (a GLB's JSON and index buffers, not its vertex data), and the kernel can drop those pages under pressure.
/// The size limit is checked before anything is mapped.
struct MappedFile {
    /// The file's bytes; the mapping lives as long as this value (or any copy of it) does.
    let data: Data

    init(path: String, limits: InspectionLimits) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw MeshInspectionError(.malformed, "The file cannot be opened (\(String(cString: strerror(errno)))).")
        }
        defer { close(descriptor) }

        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw MeshInspectionError(.malformed, "The file cannot be read (\(String(cString: strerror(errno)))).")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw MeshInspectionError(.malformed, "Only regular files can be inspected.")
        }
        let size = Int(status.st_size)
        guard size <= limits.maxFileBytes else {
            throw MeshInspectionError(
                .limitExceeded, "The file is \(size) bytes; the limit is \(limits.maxFileBytes) bytes.")
        }
        guard size > 0 else {
            // mmap refuses a zero length; an empty file is simply no data.
            data = Data()
            return
        }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), address != MAP_FAILED else {
            throw MeshInspectionError(.malformed, "The file cannot be mapped (\(String(cString: strerror(errno)))).")
        }
        // Sequential hint: most readers scan front to back once.
        _ = madvise(address, size, MADV_SEQUENTIAL)
        data = Data(bytesNoCopy: address, count: size, deallocator: .custom { pointer, length in
            munmap(pointer, length)
        })
    }
}
