import Foundation
import Testing
import TorchCheckpoint
import TorchNN
@testable import TorchParity

/// A copy of a committed fixture folder in a temporary directory, with `case.json` replaced.
struct ScratchFixture: ~Copyable {
    let directory: URL

    init(copying source: URL, caseJSON: String?) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("torchnn-case-\(UUID().uuidString)")
            .appendingPathComponent(source.lastPathComponent)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        if let caseJSON {
            try Data(caseJSON.utf8).write(to: directory.appendingPathComponent("case.json"))
        }
    }

    var casePath: String { directory.appendingPathComponent("case.json").path }

    deinit { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
}

@Suite("case.json: torch's defaults, strict keys, readable errors")
struct GoldenFixtureCaseTests {
    static let file = "parity/x/case.json"

    static func decode(_ json: String) throws -> GoldenFixture.Case {
        try GoldenFixture.Case(json: Data(json.utf8), file: file)
    }

    @Test("only module is required; the others take torch's defaults")
    func defaults() throws {
        let lstm = try Self.decode(#"{"module": "LSTM"}"#)
        #expect(lstm == GoldenFixture.Case(model: .module(.init(module: "LSTM", prefix: "", batchFirst: false, nonlinearity: .tanh)),
                                           atol: 1e-5, rtol: 1e-5, fullModel: false))
        let rnn = try Self.decode(#"{"module": "RNNCell", "nonlinearity": "relu", "rtol": 1e-4}"#)
        #expect(rnn.model == .module(.init(module: "RNNCell", nonlinearity: .relu)))
        #expect(rnn.atol == 1e-5 && rnn.rtol == 1e-4)
        // What golden.py writes: every key, inapplicable ones at torch's default.
        let full = try Self.decode(#"{"module": "LSTMCell", "prefix": "cell.", "batch_first": false, "nonlinearity": "tanh", "atol": 2e-5, "rtol": 2e-5, "full_model": true}"#)
        #expect(full == GoldenFixture.Case(model: .module(.init(module: "LSTMCell", prefix: "cell.")), atol: 2e-5, rtol: 2e-5, fullModel: true))
    }

    @Test("fixtures written with only the keys their module has verify", arguments: [
        ("lstm", #"{"module": "LSTM"}"#),
        ("lstmcell_hc", #"{"module": "LSTMCell"}"#),
        ("gru_batch_first", #"{"module": "GRU", "batch_first": true}"#),
        ("rnn_relu_h0", #"{"module": "RNN", "nonlinearity": "relu", "rtol": 1e-4}"#),
        ("rnncell_relu_h", #"{"module": "RNNCell", "nonlinearity": "relu", "rtol": 1e-4}"#),
        ("lstm_nested_checkpoint", #"{"module": "LSTM", "prefix": "model.encoder.rnn."}"#),
    ])
    func minimalCases(name: String, json: String) throws {
        let scratch = try ScratchFixture(copying: goldenRoot.appendingPathComponent(name), caseJSON: json)
        let report = try GoldenFixture(directory: scratch.directory).verify()
        #expect(report.passed, "\(report)")
    }

    @Test("every mistake is one line naming the file and the key", arguments: [
        (#"{"module": "LSTM", "nonlinearity": "relu"}"#,
         GoldenFixtureError.inapplicableOption(file: file, key: "nonlinearity", module: "LSTM", default: "\"tanh\"")),
        (#"{"module": "GRUCell", "batch_first": true}"#,
         GoldenFixtureError.inapplicableOption(file: file, key: "batch_first", module: "GRUCell", default: "false")),
        (#"{"module": "LSTM", "hidden_size": 4}"#, GoldenFixtureError.unknownKey(file: file, key: "hidden_size")),
        (#"{"module": "LSTM", "nonlinarity": "tanh"}"#, GoldenFixtureError.unknownKey(file: file, key: "nonlinarity")),
        (#"{"prefix": "rnn."}"#, GoldenFixtureError.missingKey(file: file, key: "module")),
        (#"{"module": "LSTM", "atol": "1e-5"}"#, GoldenFixtureError.wrongType(file: file, key: "atol", expected: "a number")),
        (#"{"module": "LSTM", "rtol": true}"#, GoldenFixtureError.wrongType(file: file, key: "rtol", expected: "a number")),
        (#"{"module": "LSTM", "batch_first": 1}"#, GoldenFixtureError.wrongType(file: file, key: "batch_first", expected: "true or false")),
        (#"{"module": "LSTM", "full_model": "yes"}"#, GoldenFixtureError.wrongType(file: file, key: "full_model", expected: "true or false")),
        (#"{"module": 3}"#, GoldenFixtureError.wrongType(file: file, key: "module", expected: "a string")),
        (#"{"module": "LSTM", "atol": -1}"#, GoldenFixtureError.invalidValue(file: file, key: "atol", value: "-1.0", expected: "a finite number ≥ 0")),
        (#"{"module": "RNN", "nonlinearity": "gelu"}"#, GoldenFixtureError.invalidValue(file: file, key: "nonlinearity", value: "gelu", expected: "tanh, relu")),
        (#"[1, 2]"#, GoldenFixtureError.wrongType(file: file, key: "(top level)", expected: "a JSON object")),
        (#"{"module": "LSTM", "steps": [{"op": "relu"}]}"#, GoldenFixtureError.conflictingKeys(file: file, keys: ["module", "steps"])),
        (#"{"steps": []}"#, GoldenFixtureError.invalidValue(file: file, key: "steps", value: "[]", expected: "at least one step")),
        (#"{"steps": [{"module": "Linear", "prefix": "fc."}, {"op": "argmax"}]}"#,
         GoldenFixtureError.invalidValue(file: file, key: "steps[1].op", value: "argmax",
                                         expected: "output, h_n[-1], last_step, relu, tanh, sigmoid, gelu, softmax, log_softmax, normalize")),
        (#"{"steps": [{"module": "LSTM", "nonlinearity": "relu"}]}"#,
         GoldenFixtureError.inapplicableOption(file: file, key: "steps[0].nonlinearity", module: "LSTM", default: "\"tanh\"")),
        (#"{"steps": [{"module": "Linear", "batch_first": true}]}"#,
         GoldenFixtureError.inapplicableOption(file: file, key: "steps[0].batch_first", module: "Linear", default: "false")),
        (#"{"steps": [{"module": "Linear", "bias": false}]}"#, GoldenFixtureError.unknownKey(file: file, key: "steps[0].bias")),
        (#"{"steps": [{"module": "Linear", "op": "relu"}]}"#, GoldenFixtureError.conflictingKeys(file: file, keys: ["steps[0].module", "steps[0].op"])),
        (#"{"steps": [{"prefix": "fc."}]}"#, GoldenFixtureError.missingKey(file: file, key: "steps[0].module")),
        (#"{"steps": [{"module": "Linear"}], "prefix": "fc."}"#, GoldenFixtureError.unknownKey(file: file, key: "prefix")),
    ])
    func mistakes(json: String, expected: GoldenFixtureError) throws {
        #expect(throws: expected) { try Self.decode(json) }
        let message = try #require(expected.errorDescription)
        #expect(!message.contains("\n"))
        #expect(message.hasPrefix(Self.file + ": "))
        if case let .unknownKey(_, key) = expected { #expect(message.contains("'\(key)'")) }
    }

    /// The GoldenFixtureError `json` is refused with (recording an issue when it is accepted).
    static func refusal(_ json: String) throws -> GoldenFixtureError {
        let error = #expect(throws: GoldenFixtureError.self) { try decode(json) }
        return try #require(error)
    }

    @Test("a module the single-module form cannot compare is refused with the list of kinds")
    func embeddingAlone() throws {
        guard case let .invalidValue(_, key, value, expected) = try Self.refusal(#"{"module": "Embedding"}"#) else {
            Issue.record("not invalidValue"); return
        }
        #expect(key == "module" && value == "Embedding")
        #expect(expected.contains("LSTM") && expected.contains("steps"))
    }

    @Test("malformed JSON is the parser's one-line account, never a decoder dump")
    func malformedJSON() throws {
        let error = try Self.refusal(#"{"module": "LSTM",, }"#)
        guard case .invalidJSON(Self.file, _) = error else { Issue.record("\(error)"); return }
        let message = try #require(error.errorDescription)
        #expect(!message.contains("\n") && !message.contains("DecodingError") && !message.contains("CodingKeys"))
    }

    @Test("a fixture folder reports its own case.json path")
    func errorNamesTheFile() throws {
        let scratch = try ScratchFixture(copying: goldenRoot.appendingPathComponent("lstm"),
                                         caseJSON: #"{"module": "LSTM", "nonlinearity": "relu"}"#)
        #expect(throws: GoldenFixtureError.inapplicableOption(file: scratch.casePath, key: "nonlinearity", module: "LSTM", default: "\"tanh\"")) {
            try GoldenFixture(directory: scratch.directory)
        }
    }
}
