public import Foundation
public import TorchCheckpoint

/// A golden parity case made by real PyTorch (see `fixtures/golden/README.md`):
/// a folder with `model.pt` or `model.safetensors` (weights), `golden.pt` (inputs and torch's results)
/// and `case.json` (`module`, `prefix`, `batch_first`, `nonlinearity`, `atol`, `rtol`).
///
/// ```swift
/// let fixture = try GoldenFixture(directory: URL(fileURLWithPath: "fixtures/golden/lstm_h0c0"))
/// let report = try fixture.verify()
/// print(report)            // per-tensor max |error| and PASS / FAIL
/// ```
///
/// The expected tensors are `var`s so a test can perturb one and watch ``verify()`` fail.
public struct GoldenFixture: Sendable {
    /// The contents of `case.json`.
    public struct Case: Sendable, Equatable, Codable {
        /// torch's class name: "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell" or "GRUCell".
        public var module: String
        /// The dotted key prefix of the weights inside `model.pt` ("" or ending with ".").
        public var prefix: String
        public var batchFirst: Bool
        /// "tanh" or "relu".
        public var nonlinearity: String
        public var atol: Double
        public var rtol: Double

        enum CodingKeys: String, CodingKey {
            case module, prefix, nonlinearity, atol, rtol
            case batchFirst = "batch_first"
        }
    }

    /// The fixture's folder.
    public let directory: URL
    /// The folder's name (the case name).
    public var name: String { directory.lastPathComponent }
    public let testCase: Case
    /// The module built from `model.pt` under the case's prefix.
    public let module: RecurrentModule

    /// `input`: the sequence (or, for a cell, the one step).
    public var input: FloatTensor
    /// `h0`, when the case gives one.
    public var h0: FloatTensor?
    /// `c0`, when the case gives one.
    public var c0: FloatTensor?
    /// `lengths` (int64 in the file), when the case gives them.
    public var lengths: [Int]?
    /// torch's `output` (sequence modules; nil for cells).
    public var expectedOutput: FloatTensor?
    /// torch's `h_n` (for a cell, h').
    public var expectedHN: FloatTensor
    /// torch's `c_n` (LSTM and LSTMCell; for a cell, c').
    public var expectedCN: FloatTensor?

    /// Reads `case.json`, loads the module from `model.pt` (or, when there is none,
    /// `model.safetensors`) and the tensors from `golden.pt`.
    /// - Throws: ``GoldenFixtureError`` for a missing file, a malformed case or golden tensor;
    ///   `CheckpointError` for an unreadable checkpoint; ``WeightLoadingError`` when the
    ///   weights do not load strictly.
    /// - Parameter limits: resource budgets for reading `model.pt`, `model.safetensors` and `golden.pt`.
    public init(directory: URL, limits: ReadLimits = .default) throws {
        let checkpointURL = directory.appendingPathComponent("model.pt")
        let safetensorsURL = directory.appendingPathComponent("model.safetensors")
        if FileManager.default.fileExists(atPath: checkpointURL.path) {
            try self.init(directory: directory, weights: try Checkpoint(contentsOf: checkpointURL, limits: limits), limits: limits)
        } else if FileManager.default.fileExists(atPath: safetensorsURL.path) {
            try self.init(directory: directory, weights: try SafetensorsFile(contentsOf: safetensorsURL, limits: limits), limits: limits)
        } else {
            throw GoldenFixtureError.missingFile(checkpointURL.path)
        }
    }

    /// Like ``init(directory:)`` but with the weights taken from `weights` (for example the same
    /// weights converted to another format) instead of `model.pt`.
    public init(directory: URL, weights: some TensorSource, limits: ReadLimits = .default) throws {
        self.directory = directory
        let caseURL = directory.appendingPathComponent("case.json")
        let goldenURL = directory.appendingPathComponent("golden.pt")
        for url in [caseURL, goldenURL] where !FileManager.default.fileExists(atPath: url.path) {
            throw GoldenFixtureError.missingFile(url.path)
        }
        do {
            testCase = try JSONDecoder().decode(Case.self, from: Data(contentsOf: caseURL))
        } catch {
            throw GoldenFixtureError.invalidCase(file: caseURL.path, reason: "\(error)")
        }
        guard let kind = RecurrentModule.Kind(rawValue: testCase.module) else {
            throw GoldenFixtureError.invalidCase(file: caseURL.path, reason: "unknown module '\(testCase.module)'")
        }
        guard let nonlinearity = Nonlinearity(rawValue: testCase.nonlinearity) else {
            throw GoldenFixtureError.invalidCase(file: caseURL.path, reason: "unknown nonlinearity '\(testCase.nonlinearity)'")
        }
        guard testCase.atol >= 0, testCase.rtol >= 0 else {
            throw GoldenFixtureError.invalidCase(file: caseURL.path, reason: "atol and rtol must be non-negative")
        }
        module = try RecurrentModule.load(from: weights, prefix: testCase.prefix, kind: kind,
                                          nonlinearity: nonlinearity, batchFirst: testCase.batchFirst)

        let golden = try Checkpoint(contentsOf: goldenURL, limits: limits)
        func tensor(_ key: String) throws -> FloatTensor? {
            golden.descriptor(of: key) == nil ? nil : try golden.floatTensor(key)
        }
        func required(_ key: String) throws -> FloatTensor {
            guard let value = try tensor(key) else { throw GoldenFixtureError.missingTensor(file: goldenURL.path, name: key) }
            return value
        }
        input = try required("input")
        h0 = try tensor("h0")
        c0 = try tensor("c0")
        lengths = golden.descriptor(of: "lengths") == nil ? nil
            : try golden.integerTensor("lengths").values.map { Int(clamping: $0) }
        expectedOutput = kind.isCell ? nil : try required("output")
        expectedHN = try required("h_n")
        expectedCN = (kind == .lstm || kind == .lstmCell) ? try required("c_n") : nil
    }

    /// Runs the module on the case's inputs.
    public func run() throws -> RecurrentOutput {
        try module(input, h0: h0, c0: c0, lengths: lengths)
    }

    /// Runs the module and compares every result with torch's:
    /// an element passes when `|actual − expected| ≤ atol + rtol·|expected|`.
    public func verify() throws -> GoldenReport {
        let result = try run()
        var comparisons: [GoldenReport.Comparison] = []
        if let expectedOutput {
            comparisons.append(compare("output", result.output, expectedOutput))
        }
        comparisons.append(compare("h_n", result.hN, expectedHN))
        if let expectedCN {
            if let cN = result.cN {
                comparisons.append(compare("c_n", cN, expectedCN))
            } else {
                comparisons.append(.init(name: "c_n", expectedShape: expectedCN.shape, actualShape: [],
                                         maxAbsError: .infinity, mismatches: expectedCN.scalars.count, worstIndex: nil))
            }
        }
        return GoldenReport(name: name, module: testCase.module, atol: testCase.atol, rtol: testCase.rtol,
                            comparisons: comparisons)
    }

    private func compare(_ name: String, _ actual: FloatTensor, _ expected: FloatTensor) -> GoldenReport.Comparison {
        guard actual.shape == expected.shape, actual.scalars.count == expected.scalars.count else {
            return .init(name: name, expectedShape: expected.shape, actualShape: actual.shape,
                         maxAbsError: .infinity, mismatches: expected.scalars.count, worstIndex: nil)
        }
        var maxError = 0.0
        var worst: Int?
        var mismatches = 0
        for index in expected.scalars.indices {
            let a = Double(actual.scalars[index]), b = Double(expected.scalars[index])
            let error = abs(a - b)
            // Written so that NaN on either side counts as a mismatch.
            if !(error <= testCase.atol + testCase.rtol * abs(b)) { mismatches += 1 }
            if error > maxError || error.isNaN && !maxError.isNaN || worst == nil {
                maxError = error
                worst = index
            }
        }
        return .init(name: name, expectedShape: expected.shape, actualShape: actual.shape,
                     maxAbsError: maxError, mismatches: mismatches, worstIndex: worst)
    }

    /// The fixture folders (those holding a `case.json`) directly inside `root`, sorted by name.
    public static func discover(in root: URL) throws -> [URL] {
        let entries = try FileManager.default.contentsOfDirectory(
            at: root, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles])
        return entries
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("case.json").path) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

/// The outcome of ``GoldenFixture/verify()``.
public struct GoldenReport: Sendable, Equatable, CustomStringConvertible {
    /// One result tensor compared with torch's.
    public struct Comparison: Sendable, Equatable {
        /// "output", "h_n" or "c_n".
        public var name: String
        public var expectedShape: [Int]
        public var actualShape: [Int]
        /// max |actual − expected| (∞ when the shapes differ, NaN when a value is NaN).
        public var maxAbsError: Double
        /// Elements outside `atol + rtol·|expected|` (all of them when the shapes differ).
        public var mismatches: Int
        /// Flat index of the largest error.
        public var worstIndex: Int?

        public var passed: Bool { expectedShape == actualShape && mismatches == 0 }
    }

    public var name: String
    public var module: String
    public var atol: Double
    public var rtol: Double
    public var comparisons: [Comparison]

    /// Whether every compared tensor passed.
    public var passed: Bool { comparisons.allSatisfy(\.passed) }

    public var description: String {
        var lines = ["\(passed ? "PASS" : "FAIL") \(name) (\(module), atol \(atol), rtol \(rtol))"]
        for c in comparisons {
            var line = "  \(c.passed ? "ok  " : "FAIL") \(c.name) \(format(c.expectedShape))"
            if c.actualShape != c.expectedShape {
                line += " but got \(format(c.actualShape))"
            } else {
                line += " max |err| \(c.maxAbsError)"
                if c.mismatches > 0 { line += ", \(c.mismatches) element(s) out of tolerance, worst at flat index \(c.worstIndex ?? -1)" }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}

/// Why a golden fixture folder could not be read.
public enum GoldenFixtureError: Error, LocalizedError, Equatable, Sendable {
    case missingFile(String)
    case invalidCase(file: String, reason: String)
    case missingTensor(file: String, name: String)

    public var errorDescription: String? {
        switch self {
        case let .missingFile(path): return "\(path): no such file"
        case let .invalidCase(file, reason): return "\(file): invalid case description: \(reason)"
        case let .missingTensor(file, name): return "\(file): no tensor named '\(name)'"
        }
    }
}
