import Foundation
import OpenAPIRuntime
import Testing

@testable import HWC3D

@Suite("Contract dates")
struct InternetDateTranscoderTests {
    @Test("dates are written exactly as the runtime's ISO 8601 transcoder writes them, across centuries, leap days and fractions")
    func matchesTheRuntime() throws {
        let ours = InternetDateTranscoder(), runtime = ISO8601DateTranscoder()
        var fixed: [Double] = [0, -1, -0.5, 0.999, 59, 86_399.9, 86_400, 951_782_400, 951_868_799, 1_709_164_800, -2_208_988_800,
                               -12_219_292_800, 253_402_300_799, 1_750_781_647.123]
        var generator = SystemRandomNumberGenerator()
        // From the Gregorian reform (1582-10-15) on: before it, the runtime's formatter switches to the Julian
        // calendar, while RFC 3339 counts Gregorian years back to year 1, as ours does.
        for _ in 0..<5000 { fixed.append(Double.random(in: -12_219_292_800...253_402_300_799, using: &generator)) }
        for seconds in fixed {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(try ours.encode(date) == runtime.encode(date), "\(seconds)")
        }
        #expect(try ours.encode(Date(timeIntervalSince1970: 1_750_781_647)) == "2025-06-24T16:14:07Z")
        #expect(try ours.encode(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00Z")
        #expect(try ours.encode(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(try ours.decode("2025-06-24T16:14:07Z") == Date(timeIntervalSince1970: 1_750_781_647))
    }
}
