import Foundation
import Testing

/// `ptconvert verify` as a CI job runs it: tolerances shown, failures located, whole-module fixtures.
@Suite("ptconvert verify")
struct VerifyCommandTests {
    static func ptconvert(_ arguments: [String]) throws -> PTConvertEndToEndTests.Run {
        try PTConvertEndToEndTests.ptconvert(arguments)
    }

    /// A copy of a fixture folder with `case.json` replaced; removed by the caller.
    static func scratch(_ fixture: String, caseJSON: String) throws -> URL {
        let source = PTConvertEndToEndTests.root.appendingPathComponent(fixture)
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("ptconvert-verify-\(UUID().uuidString)").appendingPathComponent(source.lastPathComponent)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: directory.appendingPathComponent(file))
        }
        try Data(caseJSON.utf8).write(to: directory.appendingPathComponent("case.json"))
        return directory
    }

    @Test("each fixture's line shows its tolerance")
    func toleranceShown() throws {
        let run = try Self.ptconvert(["verify", "fixtures/golden/lstm", "fixtures/golden/lstm_deep_trained_scale"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("PASS  lstm  (atol 1e-05, rtol 1e-05)  output max|err|"))
        let deep = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("PASS  lstm_deep_trained_scale") })
        #expect(!deep.contains("atol 1e-05"), "golden.py chose a wider tolerance: \(deep)")
    }

    @Test("a failing tensor: count of failing elements, worst index, expected, actual and tolerance, in text and JSON")
    func failureLocated() throws {
        let run = try Self.ptconvert(["verify", "fixtures/golden-broken/lstm_perturbed"])
        #expect(run.status == 1)
        // Expected and tolerance come from golden.pt; the actual value is the layers' own
        // (checked below in the JSON only against the perturbation, not to the last digit).
        #expect(run.stdout.contains("output: 1 of 60 elements out of tolerance; worst at [0, 1, 3]: expected 0.0571289286, got "))
        #expect(run.stdout.contains("> tol 1.06e-05"))

        struct Report: Decodable {
            struct Fixture: Decodable {
                struct Comparison: Decodable {
                    struct Worst: Decodable { let index: [Int]; let expected: Double; let actual: Double; let tolerance: Double }
                    let name: String; let mismatches: Int; let count: Int; let worst: Worst?; let passed: Bool
                }
                let atol: Double; let rtol: Double; let comparisons: [Comparison]
            }
            let fixtures: [Fixture]
        }
        let json = try Self.ptconvert(["verify", "--json", "fixtures/golden-broken/lstm_perturbed"])
        #expect(json.status == 1)
        let report = try JSONDecoder().decode(Report.self, from: Data(json.stdout.utf8))
        let output = try #require(report.fixtures.first?.comparisons.first { $0.name == "output" })
        #expect(!output.passed && output.mismatches == 1 && output.count == 60)
        let worst = try #require(output.worst)
        #expect(worst.index == [0, 1, 3])
        #expect(abs(worst.expected - 0.0571289286) < 1e-9)
        #expect(abs(worst.expected - worst.actual) > 9e-4)
        #expect(worst.tolerance == 1e-5 + 1e-5 * abs(worst.expected))
    }

    @Test("whole-module and TorchScript fixtures: the key, the flag, and a readable refusal without either",
          arguments: ["fixtures/golden/lstm_torchscript", "fixtures/golden/gru_whole_module"])
    func fullModel(fixture: String) throws {
        let withKey = try Self.ptconvert(["verify", fixture])
        #expect(withKey.status == 0, "\(withKey.stderr)")

        let source = PTConvertEndToEndTests.root.appendingPathComponent(fixture)
        let text = try String(contentsOf: source.appendingPathComponent("case.json"), encoding: .utf8)
        let withoutKey = text.replacingOccurrences(of: ",\n  \"full_model\": true", with: "")
        #expect(withoutKey != text)
        let directory = try Self.scratch(fixture, caseJSON: withoutKey)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }

        let withFlag = try Self.ptconvert(["verify", "--full-model", directory.path])
        #expect(withFlag.status == 0, "\(withFlag.stderr)")
        #expect(withFlag.stdout.hasPrefix("PASS"))

        let refused = try Self.ptconvert(["verify", directory.path])
        #expect(refused.status == 2)
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(directory.appendingPathComponent("model.pt").path) == true)
        #expect(lines.first?.contains("--full-model") == true && lines.first?.contains("\"full_model\": true") == true)
    }

    @Test("a case.json mistake is one stderr line naming the file and the key, never a decoder dump")
    func caseMistake() throws {
        let directory = try Self.scratch("fixtures/golden/lstm", caseJSON: #"{"module": "LSTM", "nonlinearity": "relu"}"#)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let run = try Self.ptconvert(["verify", directory.path])
        #expect(run.status == 2)
        #expect(!run.stdout.contains("ERROR"))
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains(directory.appendingPathComponent("case.json").path + ": key 'nonlinearity'") == true)
        #expect(!run.stderr.contains("DecodingError") && !run.stderr.contains("Debug description"))
    }

    @Test("a minimal case.json verifies")
    func minimalCase() throws {
        let directory = try Self.scratch("fixtures/golden/gru_batch_first", caseJSON: #"{"module": "GRU", "batch_first": true}"#)
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let run = try Self.ptconvert(["verify", directory.path])
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test("a multi-step fixture verifies from the command line")
    func steps() throws {
        let run = try Self.ptconvert(["verify", "fixtures/golden/steps_embedding_lstm_linear"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("PASS  steps_embedding_lstm_linear  (atol 1e-05, rtol 1e-05)  output max|err|"))
    }
}
