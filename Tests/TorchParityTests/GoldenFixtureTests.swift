import Foundation
import Testing
import TorchCheckpoint
import TorchNN
@testable import TorchParity

/// The repository root, found from this file's path (Tests/TorchParityTests/<file>).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let goldenRoot = repositoryRoot.appendingPathComponent("fixtures/golden")
let brokenRoot = repositoryRoot.appendingPathComponent("fixtures/golden-broken")

/// Every golden case, by folder name (INDEX.json must list the same set).
let goldenCaseNames: [String] = (try? GoldenFixture.discover(in: goldenRoot).map(\.lastPathComponent)) ?? []

@Suite("Golden parity with torch")
struct GoldenFixtureTests {
    @Test("the golden set is present and matches INDEX.json")
    func fixturesArePresent() throws {
        #expect(goldenCaseNames.count >= 87)
        let data = try Data(contentsOf: goldenRoot.appendingPathComponent("INDEX.json"))
        let index = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        #expect(Set(index.compactMap { $0["name"] as? String }) == Set(goldenCaseNames))
    }

    @Test("the README states how many golden fixtures there are")
    func readmeCount() throws {
        let readme = try String(contentsOf: repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("runs all \(goldenCaseNames.count) bundled golden fixtures"))
        #expect(readme.contains("`fixtures/golden/`: \(goldenCaseNames.count) golden parity cases"))
    }

    @Test("every golden fixture passes", arguments: goldenCaseNames)
    func goldenCase(_ name: String) throws {
        try checkGoldenCase(name)
    }

    @Test("the perturbed fixture fails on output only")
    func perturbedFails() throws {
        let fixture = try GoldenFixture(directory: brokenRoot.appendingPathComponent("lstm_perturbed"))
        let report = try fixture.verify()
        #expect(!report.passed)
        let output = try #require(report.comparisons.first { $0.name == "output" })
        #expect(!output.passed)
        #expect(output.mismatches == 1)
        // Flat index 7 of output (T 5, B 3, H 4) is [0, 1, 3].
        let worst = try #require(output.worst)
        #expect(worst.index == [0, 1, 3])
        #expect(worst.expected == Double(fixture.expectedOutput!.scalars[7]))
        #expect(abs(worst.actual - worst.expected) > 9e-4)
        #expect(worst.tolerance == 1e-5 + 1e-5 * abs(worst.expected))
        #expect(output.maxAbsError > 5e-4 && output.maxAbsError < 2e-3)
        #expect(report.comparisons.filter { $0.name != "output" }.allSatisfy { $0.passed })
        #expect(report.description.hasPrefix("FAIL"))
    }

    @Test("the missing-key fixture reports weight_hh_l0")
    func missingKeyFails() throws {
        let directory = brokenRoot.appendingPathComponent("missing_key")
        #expect(throws: WeightLoadingError.missingKey("weight_hh_l0")) {
            try GoldenFixture(directory: directory)
        }
    }

    @Test("perturbing any expected tensor of a passing case makes it fail")
    func perturbingExpectedFails() throws {
        let fixture = try GoldenFixture(directory: goldenRoot.appendingPathComponent("lstm_proj_bidir_2layer_lengths"))
        #expect(try fixture.verify().passed)

        var output = fixture
        output.expectedOutput!.scalars[3] += 1e-3
        #expect(try !output.verify().passed)

        var hN = fixture
        hN.expectedHN!.scalars[hN.expectedHN!.scalars.count - 1] -= 1e-3
        let hReport = try hN.verify()
        #expect(!hReport.passed)
        #expect(hReport.comparisons.first { $0.name == "h_n" }?.passed == false)

        var cN = fixture
        cN.expectedCN!.scalars[0] *= 1.01
        #expect(try !cN.verify().passed)

        var shape = fixture
        shape.expectedHN!.shape = [shape.expectedHN!.scalars.count]
        #expect(try !shape.verify().passed)
    }

    @Test("a wrong padded step fails: outputs past a length must be exactly zero")
    func paddingIsChecked() throws {
        var fixture = try GoldenFixture(directory: goldenRoot.appendingPathComponent("lstm_lengths"))
        // lengths [4, 6, 1, 3] with T = 6: entry 2 is padding from t = 1 on.
        let lengths = try #require(fixture.lengths)
        #expect(lengths == [4, 6, 1, 3])
        let (batch, features) = (fixture.expectedOutput!.shape[1], fixture.expectedOutput!.shape[2])
        fixture.expectedOutput!.scalars[(1 * batch + 2) * features] = 1e-3
        #expect(try !fixture.verify().passed)
    }

    @Test("the weights may come from another TensorSource; strictness applies under the prefix only")
    func weightsFromDictionary() throws {
        let directory = goldenRoot.appendingPathComponent("lstm_nested_checkpoint")
        let checkpoint = try Checkpoint(contentsOf: directory.appendingPathComponent("model.pt"))
        var dictionary = TensorDictionary()
        for name in checkpoint.tensorNames where checkpoint.descriptor(of: name)!.dtype.isFloatingPoint {
            dictionary[name] = try checkpoint.floatTensor(name)
        }
        #expect(dictionary.tensorNames.contains { !$0.hasPrefix("model.encoder.rnn.") }, "the checkpoint holds other weights too")
        #expect(try GoldenFixture(directory: directory, weights: dictionary).verify().passed)

        dictionary["model.encoder.rnn.extra"] = try FloatTensor(zeros: [1])
        #expect(throws: WeightLoadingError.unexpectedKey("model.encoder.rnn.extra")) {
            try GoldenFixture(directory: directory, weights: dictionary)
        }

        // With an empty prefix every tensor in the source belongs to the module.
        let plain = goldenRoot.appendingPathComponent("gru_2layer_bidir")
        var unprefixed = TensorDictionary()
        let gru = try Checkpoint(contentsOf: plain.appendingPathComponent("model.pt"))
        for name in gru.tensorNames { unprefixed[name] = try gru.floatTensor(name) }
        #expect(try GoldenFixture(directory: plain, weights: unprefixed).verify().passed)
        unprefixed["fc.weight"] = try FloatTensor(zeros: [1])
        #expect(throws: WeightLoadingError.unexpectedKey("fc.weight")) {
            try GoldenFixture(directory: plain, weights: unprefixed)
        }
    }

    @Test("model.safetensors stands in for model.pt")
    func safetensorsWeights() throws {
        let source = goldenRoot.appendingPathComponent("lstm_nested_checkpoint")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("torchnn-golden-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for file in ["case.json", "golden.pt"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        let checkpoint = try Checkpoint(contentsOf: source.appendingPathComponent("model.pt"))
        let exports = checkpoint.tensorNames.filter { $0.hasPrefix("model.encoder.rnn.") }.map { name in
            let descriptor = checkpoint.descriptor(of: name)!
            return ExportTensor(name: name, dtype: descriptor.dtype, shape: descriptor.shape) { try checkpoint.contiguousBytes(name) }
        }
        try SafetensorsWriter.write(exports, to: directory.appendingPathComponent("model.safetensors").path)
        let report = try GoldenFixture(directory: directory).verify()
        #expect(report.passed, "\(report)")
        #expect(report.comparisons.count == 3)
    }

    @Test("a folder without model.pt is a typed error")
    func missingFolder() throws {
        let directory = repositoryRoot.appendingPathComponent("fixtures/does-not-exist")
        #expect(throws: GoldenFixtureError.self) { try GoldenFixture(directory: directory) }
    }
}

/// Loads golden case `name`, runs it with the active kernel variant and expects it to
/// pass at its tolerance, comparing exactly the tensors its model produces.
/// (`GoldenKernelVariantTests` runs every case through this under each variant.)
func checkGoldenCase(_ name: String, _ comment: Comment? = nil) throws {
    let fixture = try GoldenFixture(directory: goldenRoot.appendingPathComponent(name))
    let report = try fixture.verify()
    #expect(report.passed, "\(comment.map { "\($0): " } ?? "")\(report)")
    #expect(report.comparisons.map(\.name) == expectedComparisons(fixture.testCase.model))
}

private func expectedComparisons(_ model: GoldenFixture.Case.Model) -> [String] {
    guard case let .module(step) = model else { return ["output"] }
    switch step.module {
    case "LSTM": return ["output", "h_n", "c_n"]
    case "RNN", "GRU": return ["output", "h_n"]
    case "LSTMCell": return ["h_n", "c_n"]
    default: return ["h_n"]
    }
}
