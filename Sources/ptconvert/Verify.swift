import ArgumentParser
import Foundation
import TorchNN

/// `ptconvert verify DIR...`: runs golden fixtures made by PyTorch through the
/// Swift layers and compares every result.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check Swift layers against golden fixtures made by real PyTorch.",
        discussion: """
        Each DIR holds model.pt (or model.safetensors), golden.pt and case.json, as \
        tools/golden.py writes them. An element passes when |a - b| <= atol + rtol*|b|. \
        Exit code 0 when every fixture passes, 1 when any result differs, 2 when a \
        fixture cannot be read.
        """
    )

    @Argument(help: "Fixture folders.")
    var directories: [String]

    @OptionGroup var output: OutputOptions
    @OptionGroup var limits: ReadLimitOptions

    func validate() throws {
        guard !directories.isEmpty else { throw ValidationError("Give at least one fixture folder.") }
    }

    func run() throws {
        var results: [(directory: String, outcome: Result<GoldenReport, any Error>)] = []
        for directory in directories {
            let url = URL(fileURLWithPath: directory)
            let outcome = Result { try GoldenFixture(directory: url, limits: limits.readLimits).verify() }
            results.append((directory, outcome))
            if !output.json { print(line(for: url, outcome)) }
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

    private func line(for url: URL, _ outcome: Result<GoldenReport, any Error>) -> String {
        let name = url.standardizedFileURL.lastPathComponent
        switch outcome {
        case let .success(report):
            let errors = report.comparisons.map { c in
                c.actualShape == c.expectedShape ? "\(c.name) max|err| \(Self.short(c.maxAbsError))"
                                                 : "\(c.name) shape \(c.actualShape) != \(c.expectedShape)"
            }
            return "\(report.passed ? "PASS" : "FAIL")  \(name)  " + errors.joined(separator: "  ")
        case let .failure(error):
            return "ERROR \(name)  " + Self.message(error)
        }
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
                    ("status", JSONText.string("error")), ("error", JSONText.string(Self.message(error))),
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

    private static func message(_ error: any Error) -> String {
        ((error as? LocalizedError)?.errorDescription ?? String(describing: error)).replacingOccurrences(of: "\n", with: " ")
    }

    private static func short(_ value: Double) -> String {
        value.isFinite ? String(format: "%.2e", value) : String(value)
    }
}
