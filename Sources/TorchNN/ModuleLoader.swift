/// Hands tensors to the modules of one load and remembers what they took and
/// what went wrong, so that a whole model reports every problem together.
///
/// A loader comes from ``Module/load(from:prefix:strict:)`` (or a layer's
/// `init(loading:prefix:)`) and is passed `inout` to each child's
/// ``Module/init(loading:prefix:)``. A module writing its own parameters asks for
/// them with ``tensor(_:shape:)``:
///
/// ```swift
/// struct Scale: Module {
///     var gain: FloatTensor
///     init(loading loader: inout ModuleLoader, prefix: String) throws {
///         gain = try loader.tensor(prefix + "gain", shape: [256])
///     }
///     func stateDictionary(prefix: String) -> TensorDictionary { TensorDictionary([prefix + "gain": gain]) }
/// }
/// ```
public struct ModuleLoader {
    /// Where the tensors come from.
    public let source: any TensorSource
    /// Names read so far.
    public private(set) var consumed: Set<String> = []
    /// Problems recorded so far, in the order found.
    public private(set) var problems: [WeightLoadingError] = []
    /// The same problems as a set, so that recording one stays O(1) however many there are.
    private var recorded: Set<WeightLoadingError> = []

    init(source: any TensorSource) {
        self.source = source
    }

    /// Name, dtype and shape of a tensor, without reading it or marking it used.
    public func descriptor(of name: String) -> TensorDescriptor? {
        source.descriptor(of: name)
    }

    /// The tensor `name` as Float32, which must exist, be floating-point and have exactly `shape`.
    ///
    /// On a problem the loader records it (``WeightLoadingError/missingKey(_:)``,
    /// ``WeightLoadingError/shapeMismatch(key:expected:found:)``,
    /// ``WeightLoadingError/unsupportedDType(key:dtype:)``) and returns zeros of
    /// `shape`, so the load continues and reports every problem; a model with
    /// problems is never returned.
    /// - Throws: only what the source throws when the tensor's bytes cannot be read
    ///   (a damaged file); that ends the load at once.
    public mutating func tensor(_ name: String, shape: [Int]) throws -> FloatTensor {
        let zeros = { FloatTensor(uncheckedShape: shape, scalars: [Float](repeating: 0, count: TensorShape.checkedElementCount(shape) ?? 0)) }
        guard let descriptor = source.descriptor(of: name) else {
            record(.missingKey(name))
            return zeros()
        }
        consumed.insert(name)
        guard descriptor.dtype.isFloatingPoint else {
            record(.unsupportedDType(key: name, dtype: descriptor.dtype))
            return zeros()
        }
        guard descriptor.shape == shape else {
            record(.shapeMismatch(key: name, expected: shape, found: descriptor.shape))
            return zeros()
        }
        let tensor = try source.floatTensor(name)
        guard tensor.shape == shape, TensorShape.checkedElementCount(shape) == tensor.scalars.count else {
            record(.shapeMismatch(key: name, expected: shape, found: tensor.shape))
            return zeros()
        }
        return tensor
    }

    /// ``tensor(_:shape:)`` for a parameter a module may lack (a bias): nil when absent.
    public mutating func optionalTensor(_ name: String, shape: [Int]) throws -> FloatTensor? {
        source.descriptor(of: name) == nil ? nil : try tensor(name, shape: shape)
    }

    /// Records a problem found by a module (one that cannot infer its sizes, for example);
    /// a problem already recorded is not repeated.
    public mutating func record(_ problem: WeightLoadingError) {
        if recorded.insert(problem).inserted { problems.append(problem) }
    }

    /// Checks the tensors under `prefix` against the parameters of `template`, the way
    /// torch's `load_state_dict` checks a model built with fixed sizes: each parameter
    /// absent is recorded as missing, each of another shape as mis-shaped. Layers infer
    /// their sizes from the weights; call this first when a model's sizes are fixed
    /// (a checkpoint with fewer layers would otherwise load as a smaller model).
    /// Nothing is read or marked used.
    public mutating func expectShapes(of template: some Module, prefix: String) {
        let parameters = template.stateDictionary(prefix: normalizedPrefix(prefix))
        for name in parameters.tensorNames {
            guard let expected = parameters[name]?.shape else { continue }
            guard let found = source.descriptor(of: name) else {
                record(.missingKey(name))
                continue
            }
            if found.shape != expected { record(.shapeMismatch(key: name, expected: expected, found: found.shape)) }
        }
    }

    /// Marks tensors as used without reading them (a buffer the model
    /// deliberately ignores, or the weights of a module that could not be built).
    public mutating func markUsed<Names: Sequence>(_ names: Names) where Names.Element == String {
        consumed.formUnion(names)
    }

    /// The tensors under `prefix` nobody used, in file order.
    public func unusedNames(withPrefix prefix: String) -> [String] {
        source.tensorNames(withPrefix: prefix).filter { !consumed.contains($0) }
    }

    /// Ends a whole-model load: throws every problem together, with the unused
    /// tensors under `prefix` as unexpected keys when `strict`.
    mutating func finish(prefix: String, strict: Bool) throws -> LoadReport {
        let unused = unusedNames(withPrefix: prefix)
        if strict { problems += unused.map(WeightLoadingError.unexpectedKey) }
        guard problems.isEmpty else { throw ModuleLoadingError(prefix: prefix, problems: problems) }
        return LoadReport(unexpectedKeys: strict ? [] : unused)
    }

    /// Ends a single layer's load the way layers always have: the first problem, thrown alone.
    mutating func finishFirstProblem(prefix: String) throws {
        problems += unusedNames(withPrefix: prefix).map(WeightLoadingError.unexpectedKey)
        if let first = problems.first { throw first }
    }
}

extension Module {
    /// Loads one layer strictly and throws its first problem as a ``WeightLoadingError``
    /// (what the layers' `init(loading:prefix:)` have always thrown).
    static func loadLayer(from source: any TensorSource, prefix: String,
                          _ build: (inout ModuleLoader, String) throws -> Self) throws -> Self {
        let prefix = normalizedPrefix(prefix)
        var loader = ModuleLoader(source: source)
        let module = try build(&loader, prefix)
        try loader.finishFirstProblem(prefix: prefix)
        return module
    }
}

/// The shape of a non-empty matrix parameter that sizes its layer (Linear's and
/// Embedding's `weight`), or nil after recording why there is none.
/// - Parameter prefix: when the matrix cannot size the layer, the other tensors under
///   this prefix count as used (the one problem recorded explains them).
func inferredMatrixShape(_ loader: inout ModuleLoader, _ name: String, expected: String, alsoUnder prefix: String?) -> [Int]? {
    guard let descriptor = loader.descriptor(of: name) else {
        loader.record(.missingKey(name))
        if let prefix { loader.markUsed(loader.source.tensorNames(withPrefix: prefix)) }
        return nil
    }
    guard descriptor.shape.count == 2, descriptor.shape.allSatisfy({ $0 > 0 }) else {
        loader.record(.cannotInfer("'\(name)' has shape \(format(descriptor.shape)); expected a non-empty \(expected) matrix"))
        loader.markUsed([name])
        if let prefix { loader.markUsed(loader.source.tensorNames(withPrefix: prefix)) }
        return nil
    }
    return descriptor.shape
}
