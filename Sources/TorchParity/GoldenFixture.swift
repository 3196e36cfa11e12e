public import Foundation
public import TorchCheckpoint
public import TorchNN

/// A golden parity case made by real PyTorch (see `fixtures/golden/README.md`):
/// a folder with `model.pt` or `model.safetensors` (weights), `golden.pt` (inputs and torch's results)
/// and `case.json` (see ``Case``: one recurrent module, or several steps such as
/// Embedding → LSTM → Linear).
///
/// ```swift
/// let fixture = try GoldenFixture(directory: URL(fileURLWithPath: "fixtures/golden/lstm_h0c0"))
/// let report = try fixture.verify()
/// print(report)            // per-tensor max |error|, the worst element, PASS / FAIL
/// ```
///
/// The expected tensors are `var`s so a test can perturb one and watch ``verify()`` fail.
public struct GoldenFixture: Sendable {
    /// The fixture's folder.
    public let directory: URL
    /// The folder's name (the case name).
    public var name: String { directory.lastPathComponent }
    /// `case.json`; a `var` so a test can tighten the tolerance.
    public var testCase: Case
    /// The module built from `model.pt` under the case's prefix; nil for a multi-step case.
    public var module: RecurrentModule? {
        if case let .module(module) = runner { return module }
        return nil
    }

    /// What ``run()`` runs.
    private enum Runner: Sendable {
        case module(RecurrentModule)
        case steps(GoldenSteps)
    }
    private let runner: Runner

    /// `input`: the sequence (for a cell, the one step). When the first step is an Embedding,
    /// the indices (int64 in golden.pt) as exact floats.
    public var input: FloatTensor
    /// `h0`, when the case gives one.
    public var h0: FloatTensor?
    /// `c0`, when the case gives one.
    public var c0: FloatTensor?
    /// `lengths` (int64 in the file), when the case gives them.
    public var lengths: [Int]?
    /// torch's `output` (sequence modules and multi-step cases; nil for cells).
    public var expectedOutput: FloatTensor?
    /// torch's `h_n` (for a cell, h'); nil for a multi-step case.
    public var expectedHN: FloatTensor?
    /// torch's `c_n` (LSTM and LSTMCell; for a cell, c').
    public var expectedCN: FloatTensor?

    /// Reads `case.json`, loads the weights from `model.pt` (or, when there is none,
    /// `model.safetensors`) and the tensors from `golden.pt`.
    /// - Parameters:
    ///   - directory: the fixture folder.
    ///   - fullModel: read a `torch.save(model)` pickle or TorchScript archive with inert
    ///     placeholders even when case.json does not say `"full_model": true`.
    ///   - limits: resource budgets for reading `model.pt`, `model.safetensors` and `golden.pt`.
    /// - Throws: ``GoldenFixtureError`` for a missing file, a malformed case or golden tensor, or a
    ///   whole-module `model.pt` read without `full_model`; `CheckpointError` for an unreadable
    ///   checkpoint; `WeightLoadingError` when the weights do not load strictly.
    public init(directory: URL, fullModel: Bool = false, limits: ReadLimits = .default) throws {
        let checkpointURL = directory.appendingPathComponent("model.pt")
        let safetensorsURL = directory.appendingPathComponent("model.safetensors")
        let testCase = try Self.readCase(in: directory)
        if FileManager.default.fileExists(atPath: checkpointURL.path) {
            let options = ReadOptions(unknownGlobals: fullModel || testCase.fullModel ? .placeholder : .refuse)
            let checkpoint: Checkpoint
            do {
                checkpoint = try Checkpoint(contentsOf: checkpointURL, limits: limits, options: options)
            } catch let CheckpointError.forbiddenGlobal(file, module, name, _) {
                throw GoldenFixtureError.needsFullModel(file: file, global: module + "." + name)
            }
            try self.init(directory: directory, testCase: testCase, weights: checkpoint, limits: limits)
        } else if FileManager.default.fileExists(atPath: safetensorsURL.path) {
            try self.init(directory: directory, testCase: testCase,
                          weights: try SafetensorsFile(contentsOf: safetensorsURL, limits: limits), limits: limits)
        } else {
            throw GoldenFixtureError.missingFile(checkpointURL.path)
        }
    }

    /// Like ``init(directory:fullModel:limits:)`` but with the weights taken from `weights` (for example the same
    /// weights converted to another format) instead of `model.pt`; `limits` applies to `golden.pt`.
    public init(directory: URL, weights: some TensorSource, limits: ReadLimits = .default) throws {
        try self.init(directory: directory, testCase: try Self.readCase(in: directory), weights: weights, limits: limits)
    }

    private static func readCase(in directory: URL) throws -> Case {
        let caseURL = directory.appendingPathComponent("case.json")
        guard FileManager.default.fileExists(atPath: caseURL.path) else { throw GoldenFixtureError.missingFile(caseURL.path) }
        let data: Data
        do {
            data = try Data(contentsOf: caseURL)
        } catch {
            throw GoldenFixtureError.missingFile(caseURL.path)
        }
        return try Case(json: data, file: caseURL.path)
    }

    private init(directory: URL, testCase: Case, weights: some TensorSource, limits: ReadLimits) throws {
        self.directory = directory
        self.testCase = testCase
        let caseFile = directory.appendingPathComponent("case.json").path
        let goldenURL = directory.appendingPathComponent("golden.pt")
        guard FileManager.default.fileExists(atPath: goldenURL.path) else { throw GoldenFixtureError.missingFile(goldenURL.path) }
        let golden = try Checkpoint(contentsOf: goldenURL, limits: limits)
        func tensor(_ key: String) throws -> FloatTensor? {
            golden.descriptor(of: key) == nil ? nil : try golden.floatTensor(key)
        }
        func required(_ key: String) throws -> FloatTensor {
            guard let value = try tensor(key) else { throw GoldenFixtureError.missingTensor(file: goldenURL.path, name: key) }
            return value
        }
        lengths = golden.descriptor(of: "lengths") == nil ? nil
            : try golden.integerTensor("lengths").scalars.map { Int(clamping: $0) }

        switch testCase.model {
        case let .module(step):
            // The decoder only accepts recurrent kinds in this form.
            let kind = step.recurrentKind ?? .lstm
            runner = .module(try RecurrentModule.load(from: weights, prefix: step.prefix, kind: kind,
                                                      nonlinearity: step.nonlinearity, batchFirst: step.batchFirst))
            input = try required("input")
            h0 = try tensor("h0")
            c0 = try tensor("c0")
            expectedOutput = kind.isCell ? nil : try required("output")
            expectedHN = try required("h_n")
            expectedCN = (kind == .lstm || kind == .lstmCell) ? try required("c_n") : nil
        case let .steps(steps):
            for name in ["h0", "c0", "h_n", "c_n"] where golden.descriptor(of: name) != nil {
                throw GoldenFixtureError.unexpectedTensor(file: goldenURL.path, name: name)
            }
            let takesIndices = if case let .module(first)? = steps.first { first.module == "Embedding" } else { false }
            input = try Self.stepsInput(golden, file: goldenURL.path, indices: takesIndices)
            runner = .steps(try GoldenSteps(steps, from: weights, caseFile: caseFile))
            h0 = nil
            c0 = nil
            expectedOutput = try required("output")
            expectedHN = nil
            expectedCN = nil
        }
    }

    /// golden.pt's `input` for a multi-step case: int64 indices (as exact floats) for an
    /// Embedding first, floats otherwise.
    private static func stepsInput(_ golden: Checkpoint, file: String, indices: Bool) throws -> FloatTensor {
        guard let descriptor = golden.descriptor(of: "input") else { throw GoldenFixtureError.missingTensor(file: file, name: "input") }
        guard indices == !descriptor.dtype.isFloatingPoint else {
            throw GoldenFixtureError.invalidTensor(file: file, name: "input", reason: indices
                ? "the first step is an Embedding, so the input must hold integer indices; found \(descriptor.dtype.rawValue)"
                : "the first step takes floating-point input; found \(descriptor.dtype.rawValue)")
        }
        guard indices else { return try golden.floatTensor("input") }
        let indices = try golden.integerTensor("input")
        // Float represents every integer up to 2^24 exactly; larger indices would be rounded.
        guard let outside = indices.scalars.first(where: { $0.magnitude > 1 << 24 }) else {  // magnitude: abs(Int64.min) traps
            return try FloatTensor(shape: indices.shape, scalars: indices.scalars.map { Float($0) })
        }
        throw GoldenFixtureError.invalidTensor(file: file, name: "input", reason: "index \(outside) is beyond 2^24")
    }

    /// Runs a single-module case on its inputs (`output`, `h_n`, `c_n`); for a multi-step case,
    /// `output` and `hN` are both the final output.
    public func run() throws -> RecurrentOutput {
        switch runner {
        case let .module(module):
            return try module.run(input, h0: h0, c0: c0, lengths: lengths)
        case let .steps(steps):
            let output = try steps(input, lengths: lengths)
            return RecurrentOutput(output: output, hN: output, cN: nil)
        }
    }

    /// Runs the model and compares every result with torch's:
    /// an element passes when `|actual − expected| ≤ atol + rtol·|expected|`.
    public func verify() throws -> GoldenReport {
        let result = try run()
        let (atol, rtol) = (testCase.atol, testCase.rtol)
        var comparisons: [GoldenReport.Comparison] = []
        if let expectedOutput {
            comparisons.append(.compare("output", actual: result.output, expected: expectedOutput, atol: atol, rtol: rtol))
        }
        if let expectedHN {
            comparisons.append(.compare("h_n", actual: result.hN, expected: expectedHN, atol: atol, rtol: rtol))
        }
        if let expectedCN {
            comparisons.append(.compare("c_n", actual: result.cN, expected: expectedCN, atol: atol, rtol: rtol))
        }
        return GoldenReport(name: name, module: testCase.module, atol: atol, rtol: rtol, comparisons: comparisons)
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
