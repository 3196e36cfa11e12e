import ArgumentParser
import Foundation
import TorchCheckpoint
import TorchNN
import TorchParity

/// `ptconvert verify DIR...`: runs golden fixtures made by PyTorch through the
/// Swift layers and compares every result.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check Swift layers against golden fixtures made by real PyTorch.",
        discussion: """
        Each DIR holds model.pt (or model.safetensors), golden.pt and case.json, as \
        tools/golden.py writes them. An element passes when |a - b| <= atol + rtol*|b| \
        (atol and rtol from case.json, printed per fixture). A failing tensor is reported \
        with its number of failing elements and its worst element (index, expected and \
        actual values, tolerance there). A fixture that cannot be read is one ERROR line \
        on stderr. Exit code 0 when every fixture passes, 1 when any result differs, 2 when a \
        fixture cannot be read.
        """
    )

    @Argument(help: "Fixture folders.")
    var directories: [String]

    @OptionGroup var output: OutputOptions

    @OptionGroup var reading: ReadingOptions
    @OptionGroup var limits: ReadLimitOptions

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("Give at least one fixture folder.") }
    }

    func run() throws {
        var results: [(directory: String, outcome: Result<GoldenReport, any Error>)] = []
        for directory in directories {
            let url = URL(fileURLWithPath: directory)
            let outcome = Result { try GoldenFixture(directory: url, fullModel: reading.fullModel, limits: limits.readLimits).verify() }
            results.append((directory, outcome))
            if case let .failure(error) = outcome {
                // One line per unreadable fixture on stderr, in both output modes.
                FileHandle.standardError.write(Data(("ERROR \(url.standardizedFileURL.lastPathComponent)  " + Self.message(error, directory: url) + "\n").utf8))
            } else if !output.json {
                print(lines(for: url, outcome))
            }
        }
        let failed = results.filter { if case let .success(report) = $0.outcome { return !report.passed }; return false }.count
        let unreadable = results.filter { if case .failure = $0.outcome { return true }; return false }.count
        if output.json {
            print(json(results, failed: failed, unreadable: unreadable))
        } else {
            print("\(results.count - failed - unreadable) passed, \(failed) failed, \(unreadable) unreadable")
        }
        if unreadable > 0 { throw ExitCode(2) }
        if failed > 0 { throw ExitCode(1) }
    }

    private func lines(for url: URL, _ outcome: Result<GoldenReport, any Error>) -> String {
        guard case let .success(report) = outcome else { return "" }
        let name = url.standardizedFileURL.lastPathComponent
        let errors = report.comparisons.map { c in
            c.actualShape == c.expectedShape ? "\(c.name) max|err| \(Self.short(c.maxAbsError))"
                                             : "\(c.name) shape \(c.actualShape) != \(c.expectedShape)"
        }
        let tolerance = "(atol \(Self.tolerance(report.atol)), rtol \(Self.tolerance(report.rtol)))"
        var lines = ["\(report.passed ? "PASS" : "FAIL")  \(name)  \(tolerance)  " + errors.joined(separator: "  ")]
        for c in report.comparisons where !c.passed {
            if let worst = c.worst {
                lines.append("      \(c.name): " + c.failureSummary(worst))
            } else {
                lines.append("      \(c.name): expected shape \(c.expectedShape), got \(c.actualShape)")
            }
        }
        return lines.joined(separator: "\n")
    }

    private func json(_ results: [(directory: String, outcome: Result<GoldenReport, any Error>)], failed: Int, unreadable: Int) -> String {
        let fixtures = results.map { result -> String in
            let name = URL(fileURLWithPath: result.directory).standardizedFileURL.lastPathComponent
            switch result.outcome {
            case let .success(report):
                let comparisons = report.comparisons.map { c in
                    JSONText.object([
                        ("name", JSONText.string(c.name)),
                        ("shape", JSONText.array(c.expectedShape.map(String.init))),
                        ("actual_shape", JSONText.array(c.actualShape.map(String.init))),
                        ("max_abs_error", JSONText.number(c.maxAbsError)),
                        ("mismatches", String(c.mismatches)),
                        ("count", String(c.count)),
                        ("worst", c.worst.map { worst in
                            JSONText.object([
                                ("index", JSONText.array(worst.index.map(String.init))),
                                ("expected", JSONText.number(worst.expected)),
                                ("actual", JSONText.number(worst.actual)),
                                ("abs_error", JSONText.number(worst.error)),
                                ("tolerance", JSONText.number(worst.tolerance)),
                            ])
                        } ?? "null"),
                        ("passed", c.passed ? "true" : "false"),
                    ])
                }
                return JSONText.object([
                    ("name", JSONText.string(name)), ("path", JSONText.string(result.directory)),
                    ("module", JSONText.string(report.module)), ("status", JSONText.string(report.passed ? "pass" : "fail")),
                    ("atol", JSONText.number(report.atol)), ("rtol", JSONText.number(report.rtol)),
                    ("comparisons", JSONText.array(comparisons)),
                ])
            case let .failure(error):
                return JSONText.object([
                    ("name", JSONText.string(name)), ("path", JSONText.string(result.directory)),
                    ("status", JSONText.string("error")), ("error", JSONText.string(Self.message(error, directory: URL(fileURLWithPath: result.directory)))),
                ])
            }
        }
        return JSONText.object([
            ("fixtures", JSONText.array(fixtures)),
            ("passed", String(results.count - failed - unreadable)),
            ("failed", String(failed)),
            ("unreadable", String(unreadable)),
        ])
    }

    /// One line naming the file: fixture and checkpoint errors name theirs; a weight that does not
    /// load is about model.pt (or model.safetensors), anything else about the run on golden.pt.
    private static func message(_ error: any Error, directory: URL) -> String {
        let text = ((error as? LocalizedError)?.errorDescription ?? String(describing: error)).replacingOccurrences(of: "\n", with: " ")
        if error is GoldenFixtureError || error is CheckpointError { return text }
        var file = directory.appendingPathComponent("golden.pt")
        if error is WeightLoadingError {
            file = directory.appendingPathComponent("model.pt")
            if !FileManager.default.fileExists(atPath: file.path) { file = directory.appendingPathComponent("model.safetensors") }
        }
        return "\(file.path): \(text)"
    }

    /// Tolerances as written in case.json: 1e-05, 0.0005.
    private static func tolerance(_ value: Double) -> String { String(format: "%g", value) }

    private static func short(_ value: Double) -> String {
        value.isFinite ? String(format: "%.2e", value) : String(value)
    }
}
