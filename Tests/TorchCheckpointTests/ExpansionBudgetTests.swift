import Foundation
import Testing
@testable import TorchCheckpoint

/// The expansion budget: bytes reading produces beyond what the file holds
/// (stride-0 views, inflated records) are bounded by
/// max(`maxExpansionRatio` × file size, `maxExpansionBytes`), each view and
/// record charged once; raising the limit lets a trusted file through.
@Suite("Expansion budget")
struct ExpansionBudgetTests {
    static func hostile(_ name: String) -> String { HostileCorpus.folder.appendingPathComponent(name).path }

    /// The default limits with the expansion floor set to `bytes`.
    static func limits(expansionFloor bytes: Int) -> ReadLimits {
        var limits = ReadLimits()
        limits.maxExpansionBytes = bytes
        return limits
    }

    @Test("a 4 GB stride-0 view in a small file is refused by default, naming the tensor and the limit, before allocating")
    func hugeViewRefused() throws {
        let path = Self.hostile("expanded_4gb.pt")
        let checkpoint = try Checkpoint(path: path)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(throws: CheckpointError.expansionLimitExceeded(file: path, tensor: "fc.weight",
                                                                total: (4 << 30) - 4, limit: 1 << 30)) {
            _ = try checkpoint.floatTensor("fc.weight")
        }
        #expect(size * ReadLimits.default.maxExpansionRatio < 1 << 30)  // the floor decides for a small file
        let message = CheckpointError.expansionLimitExceeded(file: path, tensor: "fc.weight", total: 1, limit: 0).localizedDescription
        #expect(message.contains("ReadLimits.maxExpansionBytes") && message.contains("--max-expansion"))
        #expect(try checkpoint.floatTensor("fc.bias").scalars == [1, -2])  // the rest of the file still reads
    }

    @Test("raising maxExpansionBytes lets an expanded view through, element for element")
    func raisedLimit() throws {
        let path = Self.hostile("expanded_8mb.pt")
        #expect(throws: CheckpointError.expansionLimitExceeded(file: path, tensor: "fc.weight", total: (8 << 20) - 4, limit: 4 << 20)) {
            _ = try Checkpoint(path: path, limits: Self.limits(expansionFloor: 4 << 20)).floatTensor("fc.weight")  // no 8 MB value in a failure message
        }
        let weight = try Checkpoint(path: path, limits: Self.limits(expansionFloor: 8 << 20)).floatTensor("fc.weight")
        #expect(weight.shape == [1 << 21])
        #expect(weight.scalars.allSatisfy { $0 == 0.5 })
    }

    @Test("the budget is shared: one view charged once however often it is read, two views add up")
    func chargedOnce() throws {
        let path = Self.hostile("expanded_8mb.pt")
        let checkpoint = try Checkpoint(path: path, limits: Self.limits(expansionFloor: 8 << 20))
        for _ in 0..<3 { _ = try checkpoint.hostOrderBytes(of: try #require(checkpoint.tensor(named: "fc.weight"))) }
        try checkpoint.chargeExpansion(4, as: "another view", tensor: "other")  // exactly at the budget
        #expect(throws: CheckpointError.expansionLimitExceeded(file: path, tensor: "more", total: (8 << 20) + 1, limit: 8 << 20)) {
            try checkpoint.chargeExpansion(1, as: "a third view", tensor: "more")
        }
    }

    @Test("a deflated record is charged its inflated growth before it is inflated")
    func inflationCharged() throws {
        let path = Self.hostile("zip_bomb_expansion.pt")
        let checkpoint = try Checkpoint(path: path, limits: Self.limits(expansionFloor: 1 << 20))
        #expect {
            _ = try checkpoint.floatTensor("fc.weight")
        } throws: { error in
            guard case let .expansionLimitExceeded(_, tensor, total, limit)? = error as? CheckpointError else { return false }
            return tensor == "fc.weight" && total > 16 << 20 - 64 << 10 && limit == 1 << 20
        }
        #expect(try Checkpoint(path: path).floatTensor("fc.weight").scalars.count == 4 << 20)  // default budget: 1 GiB
    }

    @Test("legitimate views expand by at most what they broadcast: every checkpoint fixture reads with a budget of its own size")
    func fixturesWithinBudget() throws {
        var limits = ReadLimits()
        limits.maxExpansionBytes = 0
        limits.maxExpansionRatio = 1
        for sidecar in FixturePaths.sidecars {
            let expected = try Expectation.load(sidecar)
            let checkpoint = try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent(expected.file).path, limits: limits)
            for tensor in checkpoint.tensors { _ = try checkpoint.hostOrderBytes(of: tensor) }
        }
    }

    @Test("the budget is the larger of ratio × file size and the floor, without overflow")
    func budgetArithmetic() {
        var limits = ReadLimits()
        #expect(limits.expansionBudget(fileSize: 1_000) == 1 << 30)
        #expect(limits.expansionBudget(fileSize: 1 << 30) == 16 << 30)
        limits.maxExpansionRatio = Int.max
        #expect(limits.expansionBudget(fileSize: 2) == Int.max)
    }
}
