import Foundation
import Testing
import TorchCheckpoint
import TorchNN
import TorchParity

@Suite("Parity API on any tensors")
struct GoldenTensorsTests {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures/golden/gru")

    @Test func aUsersOwnLayerMatchesTorchAndAPerturbationIsCaught() throws {
        let golden = try GoldenTensors(contentsOf: directory.appendingPathComponent("golden.pt"))
        #expect(golden.names.contains("output"))
        let gru = try GRU(loading: Checkpoint(contentsOf: directory.appendingPathComponent("model.pt")))
        let result = try gru(golden.tensor("input"))
        let comparison = try golden.compare(result.output, with: "output", atol: 1e-5, rtol: 1e-5)
        #expect(comparison.passed, "\(comparison)")
        #expect(comparison.description.hasPrefix("PASS output"))

        var perturbed = result.output
        perturbed.scalars[7] += 0.01
        let failed = try golden.compare(perturbed, with: "output", atol: 1e-5, rtol: 1e-5)
        #expect(!failed.passed)
        #expect(failed.mismatches == 1)
        let worst = try #require(failed.worst)
        #expect(worst.index == multiIndex(7, result.output.shape))
        #expect(worst.actual == Double(perturbed.scalars[7]))
        #expect(worst.expected == Double(try golden.tensor("output").scalars[7]))
        #expect(failed.maxAbsError >= 0.009)
        #expect(failed.description.contains("1 of \(result.output.scalars.count) elements out of tolerance"))
    }

    @Test func shapesThatDifferFail() throws {
        let a = FloatTensor([1, 2, 3])
        let b = try FloatTensor(shape: [3, 1], scalars: [1, 2, 3])
        let comparison = TensorComparison(name: "x", actual: a, expected: b, atol: 1, rtol: 1)
        #expect(!comparison.passed)
        #expect(comparison.description == "FAIL x (3, 1) but got (3,)")
    }

    private func multiIndex(_ flat: Int, _ shape: [Int]) -> [Int] {
        var rest = flat
        return shape.reversed().map { extent in defer { rest /= extent }; return rest % extent }.reversed()
    }
}
