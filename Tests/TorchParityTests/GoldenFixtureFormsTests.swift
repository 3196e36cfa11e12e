import Foundation
import Testing
import TorchCheckpoint
import TorchNN
@testable import TorchParity

/// Whole-module and TorchScript `model.pt`, tolerances chosen by golden.py, multi-step models.
@Suite("Golden fixtures as users write them")
struct GoldenFixtureFormsTests {
    /// (fixture, class model.pt references)
    static let fullModelFixtures = [
        ("lstm_torchscript", "__torch__."),
        ("gru_whole_module", "my_project.models.Tagger"),
        ("steps_embedding_gru_mlp_scripted", "__torch__."),
    ]

    @Test("whole-module and TorchScript model.pt verify with \"full_model\": true", arguments: fullModelFixtures.map(\.0))
    func fullModelKey(name: String) throws {
        let fixture = try GoldenFixture(directory: goldenRoot.appendingPathComponent(name))
        #expect(fixture.testCase.fullModel)
        let report = try fixture.verify()
        #expect(report.passed, "\(report)")
    }

    @Test("without the key, fullModel: true reads them; without either, the refusal names the class and both remedies",
          arguments: fullModelFixtures)
    func fullModelFlag(name: String, global: String) throws {
        let source = goldenRoot.appendingPathComponent(name)
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("case.json"))) as? [String: Any])
        #expect(json.removeValue(forKey: "full_model") as? Bool == true)
        let scratch = try ScratchFixture(copying: source, caseJSON: String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self))

        let report = try GoldenFixture(directory: scratch.directory, fullModel: true).verify()
        #expect(report.passed, "\(report)")

        do {
            _ = try GoldenFixture(directory: scratch.directory)
            Issue.record("a whole-module model.pt was read without full_model")
        } catch let error as GoldenFixtureError {
            guard case let .needsFullModel(file, found) = error else { Issue.record("\(error)"); return }
            #expect(file == scratch.directory.appendingPathComponent("model.pt").path)
            #expect(found.hasPrefix(global))
            let message = try #require(error.errorDescription)
            #expect(message.contains("\"full_model\": true") && message.contains("--full-model") && !message.contains("\n"))
        }
    }

    @Test("a deep LSTM with trained-scale weights passes at the tolerance golden.py chose from torch's own float32 error")
    func deepLSTMTolerance() throws {
        let fixture = try GoldenFixture(directory: goldenRoot.appendingPathComponent("lstm_deep_trained_scale"))
        // golden.py measured torch's float32 error above 1e-5 (it printed why) and chose a wider rung of the ladder.
        #expect(fixture.testCase.atol > 1e-5 && fixture.testCase.atol == fixture.testCase.rtol)
        #expect([2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3].contains(fixture.testCase.atol))
        #expect(fixture.input.shape == [100, 2, 8])
        guard case let .lstm(lstm)? = fixture.module else { Issue.record("not an LSTM"); return }
        #expect(lstm.numLayers == 3)
        let report = try fixture.verify()
        #expect(report.passed, "\(report)")
    }

    @Test("a weight changed by 1e-3 still fails at that tolerance, and the report says where")
    func perturbedWeightFails() throws {
        let fixture = try GoldenFixture(directory: brokenRoot.appendingPathComponent("lstm_deep_perturbed_weight"))
        let chosen = try GoldenFixture(directory: goldenRoot.appendingPathComponent("lstm_deep_trained_scale")).testCase
        #expect(fixture.testCase == chosen, "same case.json as the passing fixture")
        let report = try fixture.verify()
        #expect(!report.passed)
        let output = try #require(report.comparisons.first { $0.name == "output" })
        let worst = try #require(output.worst)
        #expect(output.mismatches > 0)
        #expect(worst.error > 10 * worst.tolerance)
        #expect(worst.index.count == 3 && worst.index[0] < 100 && worst.index[1] < 2 && worst.index[2] < 24)
        let flat = (worst.index[0] * 2 + worst.index[1]) * 24 + worst.index[2]
        #expect(worst.expected == Double(fixture.expectedOutput!.scalars[flat]))

        // The same perturbation applied in Swift to the passing fixture's weights fails too.
        let directory = goldenRoot.appendingPathComponent("lstm_deep_trained_scale")
        let checkpoint = try Checkpoint(contentsOf: directory.appendingPathComponent("model.pt"))
        var weights = TensorDictionary()
        for name in checkpoint.tensorNames { weights[name] = try checkpoint.floatTensor(name) }
        var hh = try #require(weights["weight_hh_l0"])
        hh.scalars[5 * 24 + 3] += 1e-3
        weights["weight_hh_l0"] = hh
        #expect(try !GoldenFixture(directory: directory, weights: weights).verify().passed)
    }

    @Test("multi-step models verify in one fixture", arguments: [
        ("steps_embedding_lstm_linear", "Embedding -> LSTM -> last_step -> Linear -> log_softmax", [3, 5]),
        ("steps_embedding_gru_mlp_scripted", "Embedding -> GRU -> h_n[-1] -> Linear -> tanh -> Linear -> softmax", [2, 3]),
        ("steps_linear_rnn_sigmoid", "Linear -> RNN -> output -> relu -> Linear -> sigmoid", [6, 2, 2]),
        ("steps_lstm_gelu_normalize", "LSTM -> h_n[-1] -> Linear -> gelu -> Linear -> normalize", [3, 6]),
    ])
    func steps(name: String, chain: String, shape: [Int]) throws {
        let fixture = try GoldenFixture(directory: goldenRoot.appendingPathComponent(name))
        #expect(fixture.module == nil)
        let report = try fixture.verify()
        #expect(report.passed, "\(report)")
        #expect(report.module == chain)
        #expect(report.comparisons.map(\.name) == ["output"])
        #expect(report.comparisons.first?.expectedShape == shape)

        var perturbed = fixture
        perturbed.expectedOutput!.scalars[perturbed.expectedOutput!.scalars.count - 1] += 1e-3
        let failed = try perturbed.verify()
        #expect(!failed.passed)
        #expect(failed.comparisons.first?.worst?.index == shape.map { $0 - 1 })
    }

    @Test("the embedding -> LSTM -> linear fixture depends on every module's weights and on the lengths")
    func stepsUseEveryWeight() throws {
        let directory = goldenRoot.appendingPathComponent("steps_embedding_lstm_linear")
        let fixture = try GoldenFixture(directory: directory)
        #expect(fixture.lengths == [7, 2, 5])
        let checkpoint = try Checkpoint(contentsOf: directory.appendingPathComponent("model.pt"))
        var weights = TensorDictionary()
        for name in checkpoint.tensorNames { weights[name] = try checkpoint.floatTensor(name) }
        #expect(try GoldenFixture(directory: directory, weights: weights).verify().passed)
        // The embedding row of the first token (batch_first: sequence 0, step 0) is certainly used.
        let firstToken = Int(fixture.input.scalars[0])
        for (name, element) in [("embed.weight", firstToken * 6), ("rnn.weight_ih_l0", 0), ("rnn.bias_hh_l1", 16), ("head.bias", 0)] {
            var changed = weights
            var tensor = try #require(changed[name])
            tensor.scalars[element] += 0.05
            changed[name] = tensor
            #expect(try !GoldenFixture(directory: directory, weights: changed).verify().passed, "\(name)")
        }
        var noLengths = fixture
        noLengths.lengths = nil
        #expect(try !noLengths.verify().passed, "the last valid step, not step T - 1")
    }

    @Test("the gelu and normalize steps are applied as torch applies them: another activation, or none, fails",
          arguments: [#"{"op": "relu"}"#, #"{"op": "tanh"}"#, nil], [#"{"op": "normalize"}"#, nil])
    func geluAndNormalizeMatter(activation: String?, normalize: String?) throws {
        let directory = goldenRoot.appendingPathComponent("steps_lstm_gelu_normalize")
        func caseJSON(activation: String?, normalize: String?) -> String {
            let steps = [#"{"module": "LSTM", "prefix": "lstm.", "batch_first": true}"#, #"{"op": "h_n[-1]"}"#,
                         #"{"module": "Linear", "prefix": "fc1."}"#, activation,
                         #"{"module": "Linear", "prefix": "fc2."}"#, normalize].compactMap { $0 }
            return #"{"steps": ["# + steps.joined(separator: ", ") + "]}"
        }
        // The committed steps, written out here, pass: the variations below differ only in one step.
        let committed = try ScratchFixture(copying: directory, caseJSON: caseJSON(activation: #"{"op": "gelu"}"#, normalize: #"{"op": "normalize"}"#))
        #expect(try GoldenFixture(directory: committed.directory).verify().passed)
        let scratch = try ScratchFixture(copying: directory, caseJSON: caseJSON(activation: activation, normalize: normalize))
        let report = try GoldenFixture(directory: scratch.directory).verify()
        #expect(!report.passed, "\(report)")
    }

    @Test("steps in an order torch could not run are refused when the fixture is read", arguments: [
        (#"{"steps": [{"module": "Linear", "prefix": "0."}, {"op": "last_step"}]}"#, 1),
        (#"{"steps": [{"module": "Linear", "prefix": "0."}, {"op": "h_n[-1]"}]}"#, 1),
        (#"{"steps": [{"op": "output"}]}"#, 0),
        (#"{"steps": [{"module": "Linear", "prefix": "0."}, {"module": "Embedding", "prefix": "4."}]}"#, 1),
    ])
    func invalidOrder(json: String, step: Int) throws {
        let scratch = try ScratchFixture(copying: goldenRoot.appendingPathComponent("steps_linear_rnn_sigmoid"), caseJSON: json)
        do {
            _ = try GoldenFixture(directory: scratch.directory)
            Issue.record("accepted \(json)")
        } catch let error as GoldenFixtureError {
            guard case let .invalidStep(file, position, _) = error else { Issue.record("\(error)"); return }
            #expect(file == scratch.casePath && position == step)
        }
    }

    @Test("indices beyond 2^24 (Int64.min too) are refused, not rounded or trapped on",
          arguments: [Int64(1 << 24 + 1), -Int64(1 << 24 + 1), Int64.min, Int64.max])
    func indexBeyondFloat(_ index: Int64) throws {
        let source = goldenRoot.appendingPathComponent("steps_embedding_lstm_linear")
        let scratch = try ScratchFixture(copying: source, caseJSON: nil)
        let golden = try Checkpoint(contentsOf: source.appendingPathComponent("golden.pt"))
        var input = try golden.integerTensor("input")
        input.scalars[0] = index
        var tensors = [try ExportTensor(name: "input", tensor: input)]
        for name in golden.tensorNames where name != "input" {
            tensors.append(golden.descriptor(of: name)?.dtype.isFloatingPoint == false
                ? try ExportTensor(name: name, tensor: golden.integerTensor(name))
                : try ExportTensor(name: name, tensor: golden.floatTensor(name)))
        }
        try TorchZipWriter.write(tensors, to: scratch.directory.appendingPathComponent("golden.pt").path)
        do {
            _ = try GoldenFixture(directory: scratch.directory)
            Issue.record("index \(index) accepted")
        } catch let error as GoldenFixtureError {
            guard case .invalidTensor(_, "input", let reason) = error else { Issue.record("\(error)"); return }
            #expect(reason == "index \(index) is beyond 2^24")
        }
    }

    @Test("an Embedding first needs integer indices in golden.pt")
    func embeddingNeedsIndices() throws {
        let scratch = try ScratchFixture(copying: goldenRoot.appendingPathComponent("steps_linear_rnn_sigmoid"),
                                         caseJSON: #"{"steps": [{"module": "Embedding", "prefix": "0."}]}"#)
        do {
            _ = try GoldenFixture(directory: scratch.directory)
            Issue.record("float input accepted for an Embedding")
        } catch let error as GoldenFixtureError {
            guard case .invalidTensor(_, "input", _) = error else { Issue.record("\(error)"); return }
        } catch {
            // The Embedding under "0." would fail to load first only if the check ran after loading.
            Issue.record("\(error)")
        }
    }

    @Test("multiIndex is row-major")
    func multiIndexIsRowMajor() {
        #expect(multiIndex(7, shape: [5, 3, 4]) == [0, 1, 3])
        #expect(multiIndex(59, shape: [5, 3, 4]) == [4, 2, 3])
        #expect(multiIndex(0, shape: []) == [])
        #expect(multiIndex(5, shape: [6]) == [5])
    }
}
