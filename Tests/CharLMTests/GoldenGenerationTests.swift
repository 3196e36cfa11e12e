import Foundation
import Testing
import TorchCheckpoint
import TorchNN
import TorchParity
import TorchTensor
@testable import charlm

/// The Swift layers generate exactly what torch generated from the same weights.
@Suite("charlm: torch's golden generations")
struct GoldenGenerationTests {
    /// |swift − torch| allowed on a logit.
    static let logitTolerance: Float = 1e-5

    @Test("the fixture has prompts, 300 characters each and 20 logit steps")
    func fixtureShape() throws {
        let generations = CharLMFixture.generations
        #expect(generations.prompts.count >= 3)
        #expect(generations.generate == 300)
        #expect(generations.logitSteps == 20)
        let vocabulary = try CharLMFixture.vocabulary()
        for generation in generations.prompts {
            #expect(generation.continuation.unicodeScalars.count == 300)
            #expect(generation.logits.count == 20)
            #expect(generation.logits.allSatisfy { $0.count == vocabulary.count })
        }
    }

    /// Greedy text can only be compared character for character when no step is a
    /// near-tie: torch's smallest top-1 minus top-2 logit gap over the 300 steps
    /// (3.2e-4 for "LAWYER, n.  " today) must be far above the logit error allowed,
    /// or a last-bit difference could legitimately pick the other character.
    @Test("no greedy step of the fixture is a near-tie", arguments: CharLMFixture.generations.prompts)
    func noNearTies(_ golden: CharLMFixture.Generation) {
        #expect(golden.minMargin > 10 * Double(Self.logitTolerance), "smallest top-2 gap \(golden.minMargin)")
    }

    @Test("greedy continuation and first logits from model.pt", arguments: CharLMFixture.generations.prompts)
    func fromTorchSave(_ golden: CharLMFixture.Generation) throws {
        try check(golden, store: try TensorFile.open(CharLMFixture.modelPath))
    }

    @Test("greedy continuation and first logits from the safetensors ptconvert writes", arguments: CharLMFixture.generations.prompts)
    func fromConverted(_ golden: CharLMFixture.Generation) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("charlm-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let converted = directory.appendingPathComponent("model.safetensors").path
        let run = try Binaries.run("ptconvert", ["convert", "--quiet", CharLMFixture.modelPath, converted])
        #expect(run.status == 0, "\(run.stderr)")
        let store = try TensorFile.open(converted)
        #expect(store is SafetensorsFile)
        #expect(store.tensors.allSatisfy { $0.dtype == .float16 }, "the conversion keeps float16 storage")
        try check(golden, store: store)
    }

    private func check(_ golden: CharLMFixture.Generation, store: some TensorSource) throws {
        let vocabulary = try CharLMFixture.vocabulary()
        let model = try CharacterModel(loading: store, vocabularySize: vocabulary.count)
        var sampling = Sampling.greedy
        let (indices, logits) = try Generation.run(model: model, prompt: try vocabulary.encode(golden.prompt),
                                                   length: golden.continuation.unicodeScalars.count,
                                                   sampling: &sampling, recordLogits: golden.logits.count)
        var text = String.UnicodeScalarView()
        text.append(contentsOf: indices.map(vocabulary.character))
        let generated = String(text)
        let firstDifference = zip(generated.unicodeScalars, golden.continuation.unicodeScalars)
            .enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(generated == golden.continuation,
                "first difference at character \(firstDifference.map(String.init) ?? "-"); torch's smallest top-2 margin \(golden.minMargin)")

        #expect(logits.count == golden.logits.count)
        var worst: (step: Int, index: Int, error: Float) = (0, 0, 0)
        for (step, (actual, expected)) in zip(logits, golden.logits).enumerated() {
            try #require(actual.count == expected.count)
            for (index, (a, e)) in zip(actual, expected).enumerated() where abs(a - e) > worst.error || a.isNaN {
                worst = (step, index, a.isNaN ? .infinity : abs(a - e))
            }
        }
        #expect(worst.error <= Self.logitTolerance,
                "step \(worst.step), logit \(worst.index): |swift - torch| = \(worst.error)")
    }
}

/// fixtures/charlm/ is also a golden fixture (case.json, golden.pt): the trained
/// model over a batch of text windows with lengths, as `ptconvert verify` runs it.
@Suite("charlm: the trained model as a golden fixture")
struct TrainedModelFixtureTests {
    @Test("embed -> rnn -> head over three windows matches torch within the recorded tolerance")
    func verifies() throws {
        let fixture = try GoldenFixture(directory: CharLMFixture.directory)
        let report = try fixture.verify()
        #expect(report.passed, "\(report)")
    }
}
