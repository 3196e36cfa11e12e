import Testing
@testable import TorchNN

/// The layout of a speaker encoder (smaller), written as a user would.
struct TestEncoder: Module {
    var lstm: LSTM
    var linear: Linear

    init(loading loader: inout ModuleLoader, prefix: String) throws {
        lstm = try LSTM(loading: &loader, prefix: prefix + "lstm.", batchFirst: true)
        linear = try Linear(loading: &loader, prefix: prefix + "linear.")
    }

    init(seed: UInt64) throws {
        lstm = try LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, batchFirst: true, seed: seed)
        linear = try Linear(inputFeatures: 4, outputFeatures: 2, seed: seed + 1)
    }
}

/// Children in an array and an optional, named as torch's `nn.ModuleList` names them.
struct TestStack: Module {
    var layers: [Linear]
    var head: Linear?

    init(loading loader: inout ModuleLoader, prefix: String) throws {
        layers = try (0..<2).map { try Linear(loading: &loader, prefix: prefix + "layers.\($0).") }
        head = loader.descriptor(of: prefix + "head.weight") == nil ? nil : try Linear(loading: &loader, prefix: prefix + "head.")
    }
}

@Suite("Module protocol: whole-model loading")
struct ModuleTests {
    let model: TestEncoder

    init() throws { model = try TestEncoder(seed: 3) }

    private func checkpoint(prefix: String = "") -> TensorDictionary {
        var result = TensorDictionary()
        let state = model.stateDictionary(prefix: prefix)
        for name in state.tensorNames { result[name] = state[name] }
        return result
    }

    @Test func stateDictionaryUsesPropertyNamesAndTorchNames() {
        let names = model.stateDictionary(prefix: "").tensorNames
        #expect(names == [
            "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
            "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1",
            "linear.weight", "linear.bias",
        ])
    }

    @Test func roundTripUnderAPrefix() throws {
        let loaded = try TestEncoder(loading: checkpoint(prefix: "model_state."), prefix: "model_state")
        #expect(loaded.stateDictionary(prefix: "") == model.stateDictionary(prefix: ""))
        #expect(loaded.lstm.batchFirst)
        let x = try FloatTensor(shape: [2, 5, 3], scalars: (0..<30).map { Float($0) / 30 })
        #expect(try loaded.lstm(x) == model.lstm(x))
    }

    @Test func everyProblemIsReportedInOneError() throws {
        var source = checkpoint()
        source["lstm.bias_hh_l1"] = nil                                   // missing
        source["linear.scale"] = FloatTensor([1, 2])                      // unexpected
        source["lstm.weight_ih_l1"] = try FloatTensor(zeros: [16, 5])     // mis-shaped
        source["projection.weight"] = try FloatTensor(zeros: [2, 2])      // a module forgotten in Swift
        #expect(throws: ModuleLoadingError(prefix: "", problems: [
            .shapeMismatch(key: "lstm.weight_ih_l1", expected: [16, 4], found: [16, 5]),
            .missingKey("lstm.bias_hh_l1"),
            .unexpectedKey("linear.scale"),
            .unexpectedKey("projection.weight"),
        ])) {
            try TestEncoder(loading: source, prefix: "")
        }
        // Non-strict: unexpected keys are tolerated, missing and mis-shaped ones are not.
        #expect(throws: ModuleLoadingError(prefix: "", problems: [
            .shapeMismatch(key: "lstm.weight_ih_l1", expected: [16, 4], found: [16, 5]),
            .missingKey("lstm.bias_hh_l1"),
        ])) {
            try TestEncoder.load(from: source, strict: false)
        }
    }

    @Test func aPrefixTypoNamesTheChildAndTheStrayKeys() throws {
        var source = TensorDictionary()
        for name in checkpoint().tensorNames {
            source[name.replacingOccurrences(of: "lstm.", with: "lstmm.")] = checkpoint()[name]
        }
        do {
            _ = try TestEncoder(loading: source)
            Issue.record("loaded with a typo in a prefix")
        } catch let error as ModuleLoadingError {
            #expect(error.problems.first == .cannotInfer("there are no tensors under the prefix 'lstm.'"))
            #expect(error.unexpectedKeys.count == 8)
            #expect(error.unexpectedKeys.allSatisfy { $0.hasPrefix("lstmm.") })
            #expect(error.missingKeys.isEmpty)
            #expect(error.localizedDescription.contains("9 problems loading the model"))
        }
    }

    @Test func nonStrictLoadReturnsTheUnusedKeys() throws {
        var source = checkpoint(prefix: "model_state.")
        source["model_state.optimizer_step"] = FloatTensor(scalar: 7)
        source["other.weight"] = FloatTensor([1])                        // outside the prefix: not reported
        let (loaded, report) = try TestEncoder.load(from: source, prefix: "model_state.", strict: false)
        #expect(report.unexpectedKeys == ["model_state.optimizer_step"])
        #expect(loaded.stateDictionary(prefix: "") == model.stateDictionary(prefix: ""))
        #expect(throws: ModuleLoadingError(prefix: "model_state.", problems: [.unexpectedKey("model_state.optimizer_step")])) {
            try TestEncoder.load(from: source, prefix: "model_state.", strict: true)
        }
    }

    @Test func arraysAndOptionalsOfModules() throws {
        var source = TensorDictionary()
        for (i, seed) in [5, 6].enumerated() {
            source.merge(try Linear(inputFeatures: 2, outputFeatures: 2, seed: UInt64(seed)).stateDictionary(prefix: "layers.\(i)."))
        }
        let stack = try TestStack(loading: source)
        #expect(stack.head == nil)
        #expect(stack.stateDictionary(prefix: "") == source)
        source.merge(try Linear(inputFeatures: 2, outputFeatures: 1, seed: 7).stateDictionary(prefix: "head."))
        let withHead = try TestStack(loading: source)
        #expect(withHead.stateDictionary(prefix: "") == source)
    }

    @Test func layersStillThrowTheirFirstProblemAlone() throws {
        var source = checkpoint()
        source["lstm.bias_hh_l1"] = nil
        source["lstm.extra"] = FloatTensor([1])
        #expect(throws: WeightLoadingError.missingKey("lstm.bias_hh_l1")) { try LSTM(loading: source, prefix: "lstm.") }
        source["lstm.bias_hh_l1"] = checkpoint()["lstm.bias_hh_l1"]
        #expect(throws: WeightLoadingError.unexpectedKey("lstm.extra")) { try LSTM(loading: source, prefix: "lstm.") }
    }
}

@Suite struct OversizedLayerTests {
    @Test func sizesWhoseWeightsCannotBeCountedAreErrors() {
        #expect(throws: LayerInputError.self) { try Linear(inputFeatures: Int.max / 2, outputFeatures: 3) }
        #expect(throws: LayerInputError.self) { try Embedding(numEmbeddings: 1 << 40, embeddingDim: 1 << 40) }
        #expect(throws: LayerInputError.self) { try LSTM(inputSize: 3, hiddenSize: Int.max / 3) }
        #expect(throws: LayerInputError.self) { try GRU(inputSize: Int.max, hiddenSize: 2, numLayers: 2) }
    }
}

/// A module with a parameter of its own, as the "Build a model" article writes it.
struct TestScale: Module {
    var gain: FloatTensor

    init(loading loader: inout ModuleLoader, prefix: String) throws {
        gain = try loader.tensor(prefix + "gain", shape: [3])
    }

    func stateDictionary(prefix: String) -> TensorDictionary {
        TensorDictionary([prefix + "gain": gain])
    }
}

/// A model whose sizes are fixed, checked before the layers infer theirs.
struct TestFixedEncoder: Module {
    var lstm: LSTM

    init(loading loader: inout ModuleLoader, prefix: String) throws {
        loader.expectShapes(of: try LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 0), prefix: prefix + "lstm.")
        lstm = try LSTM(loading: &loader, prefix: prefix + "lstm.")
    }
}

@Suite struct ModuleLoaderTests {
    @Test func parametersOfYourOwn() throws {
        let loaded = try TestScale(loading: TensorDictionary(["s.gain": FloatTensor([1, 2, 3])]), prefix: "s.")
        #expect(loaded.gain == FloatTensor([1, 2, 3]))
        #expect(throws: ModuleLoadingError(prefix: "", problems: [.shapeMismatch(key: "gain", expected: [3], found: [2])])) {
            try TestScale(loading: TensorDictionary(["gain": FloatTensor([1, 2])]))
        }
        #expect(throws: ModuleLoadingError(prefix: "", problems: [.missingKey("gain"), .unexpectedKey("scale")])) {
            try TestScale(loading: TensorDictionary(["scale": FloatTensor([1, 2, 3])]))
        }
    }

    @Test func fixedSizesReportALayerMissingFromTheCheckpoint() throws {
        // One layer where the model has two: inferred alone, it would load as a smaller LSTM.
        let oneLayer = try LSTM(inputSize: 3, hiddenSize: 4, numLayers: 1, seed: 1).stateDictionary(prefix: "lstm.")
        do {
            _ = try TestFixedEncoder(loading: oneLayer)
            Issue.record("a one-layer checkpoint loaded into a two-layer model")
        } catch let error as ModuleLoadingError {
            #expect(error.missingKeys == ["lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1"])
            #expect(error.problems.count == 4)
        }
        let wider = try LSTM(inputSize: 5, hiddenSize: 4, numLayers: 2, seed: 1).stateDictionary(prefix: "lstm.")
        #expect(throws: ModuleLoadingError(prefix: "", problems: [.shapeMismatch(key: "lstm.weight_ih_l0", expected: [16, 3], found: [16, 5])])) {
            try TestFixedEncoder(loading: wider)
        }
        let right = try LSTM(inputSize: 3, hiddenSize: 4, numLayers: 2, seed: 1).stateDictionary(prefix: "lstm.")
        #expect(try TestFixedEncoder(loading: right).lstm.stateDictionary() == right.renamingPrefix())
    }
}

private extension TensorDictionary {
    /// The same tensors with the "lstm." prefix removed.
    func renamingPrefix() -> TensorDictionary {
        var result = TensorDictionary()
        for name in tensorNames { result[String(name.dropFirst("lstm.".count))] = self[name] }
        return result
    }
}
