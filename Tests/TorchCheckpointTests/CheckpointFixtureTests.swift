import Foundation
import Testing
@testable import TorchCheckpoint

/// Every fixture written by real torch reads back with exactly the names,
/// dtypes, shapes and values torch recorded, element by element.
@Suite("Checkpoint fixtures made by torch")
struct CheckpointFixtureTests {
    @Test("at least the fixtures the reader must cover are present")
    func fixturesPresent() {
        #expect(FixturePaths.sidecars.count >= 20)
        for required in ["legacy_lstm", "big_endian", "deflated", "crc0", "protocol4", "zip64_full", "aligned_4096", "dtypes", "noncontiguous_views", "shared_storage", "training_checkpoint", "untyped_storage_dtypes"] {
            #expect(FixturePaths.sidecars.contains("\(required).expected.json"), "missing fixture \(required)")
        }
    }

    @Test("names, dtypes, shapes, values and other leaves match torch", arguments: FixturePaths.sidecars)
    func matchesTorch(sidecar: String) throws {
        let expected = try Expectation.load(sidecar)
        let checkpoint = try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent(expected.file).path)
        #expect(checkpoint.format.rawValue == expected.format)
        #expect(checkpoint.tensors.map(\.name) == expected.tensors.map(\.name))
        for (tensor, want) in zip(checkpoint.tensors, expected.tensors) {
            #expect(tensor.dtype.rawValue == want.dtype, "\(tensor.name)")
            #expect(tensor.shape == want.shape, "\(tensor.name)")
            try expectValues(checkpoint, tensor, want)
        }
        #expect(checkpoint.values.map(\.name) == expected.others.map(\.name))
        for (value, want) in zip(checkpoint.values, expected.others) {
            #expect(matches(value.value, want.value), "\(value.name): \(value.value) vs \(want.value)")
        }
    }

    private func matches(_ value: CheckpointValue, _ want: Expectation.Leaf) -> Bool {
        switch (value, want) {
        case (.none, .null): return true
        case let (.bool(b), .bool(w)): return b == w
        case let (.int(i), .int(w)): return Int64(i) == w
        case let (.float(d), .double(w)): return d == w
        case let (.float(d), .int(w)): return d == Double(w)
        case let (.string(s), .string(w)): return s == w
        default: return false
        }
    }
}
