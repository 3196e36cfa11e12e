public import TorchTensor

/// `torch.nn.Embedding`: a lookup table from indices to rows of `weight`.
///
/// Letters: N rows (`num_embeddings`), E columns (`embedding_dim`), `S...` the indices' shape.
public struct Embedding: Module {
    /// (N, E).
    public private(set) var weight: FloatTensor

    /// N.
    public var numEmbeddings: Int { weight.shape[0] }
    /// E.
    public var embeddingDim: Int { weight.shape[1] }

    /// A new table with torch's default initialisation: standard normal entries.
    public init(numEmbeddings: Int, embeddingDim: Int, seed: UInt64? = nil) throws {
        guard numEmbeddings > 0, embeddingDim > 0 else {
            throw LayerInputError.invalidConfiguration(
                "Embedding needs positive sizes, got numEmbeddings \(numEmbeddings), embeddingDim \(embeddingDim)")
        }
        guard TensorShape.checkedElementCount([numEmbeddings, embeddingDim]) != nil else {
            throw LayerInputError.invalidConfiguration("a (\(numEmbeddings), \(embeddingDim)) table holds more elements than Int can count")
        }
        var generator = SeededGenerator.make(seed)
        weight = FloatTensor(uncheckedShape: [numEmbeddings, embeddingDim],
                             scalars: generator.normal(count: numEmbeddings * embeddingDim))
    }

    /// A table with the given (N, E) weight.
    public init(weight: FloatTensor) throws {
        _ = try weight.validated("weight")
        guard weight.shape.count == 2, weight.shape[0] > 0, weight.shape[1] > 0 else {
            throw LayerInputError.wrongRank(argument: "weight", expected: "a non-empty (N, E) matrix", found: weight.shape)
        }
        self.weight = weight
    }

    /// Loads `weight` (N, E) from under `prefix`, strictly (nothing else may be there).
    public init(loading source: some TensorSource, prefix: String = "") throws {
        self = try Self.loadLayer(from: source, prefix: prefix) { try Self(loading: &$0, prefix: $1) }
    }

    /// Loads the weights as part of a model (see ``Module``); problems are recorded in `loader`.
    public init(loading loader: inout ModuleLoader, prefix: String) throws {
        let prefix = normalizedPrefix(prefix)
        guard let shape = inferredMatrixShape(&loader, prefix + "weight", expected: "(num, dim)", alsoUnder: nil) else {
            self.weight = FloatTensor(uncheckedShape: [1, 1], scalars: [0])  // placeholder: the load throws
            return
        }
        weight = try loader.tensor(prefix + "weight", shape: shape)
    }

    /// Looks up rows.
    /// - Parameter indices: S, row numbers in 0..<N (torch's `LongTensor` input).
    /// - Returns: (S..., E).
    /// - Throws: ``LayerInputError/indexOutOfRange(position:index:count:)`` for an index outside 0..<N.
    public func callAsFunction(_ indices: IntegerTensor) throws -> FloatTensor {
        try callAsFunction(indices.scalars, shape: indices.shape)
    }

    /// Looks up rows.
    /// - Parameters:
    ///   - indices: row numbers in 0..<N, row-major in `shape`.
    ///   - shape: S, the indices' shape; nil means (indices.count,).
    /// - Returns: (S..., E).
    /// - Throws: ``LayerInputError/indexOutOfRange(position:index:count:)`` for an index outside 0..<N
    ///   (negative ones included, as torch does).
    public func callAsFunction<Index: BinaryInteger>(_ indices: [Index], shape: [Int]? = nil) throws -> FloatTensor {
        let shape = shape ?? [indices.count]
        guard TensorShape.checkedElementCount(shape) == indices.count else {
            throw LayerInputError.inconsistentTensor(argument: "indices", shape: shape, scalarCount: indices.count)
        }
        let rows = numEmbeddings, dim = embeddingDim
        var result = [Float](repeating: 0, count: indices.count * dim)
        try result.withUnsafeMutableBufferPointer { output in
            try weight.scalars.withUnsafeBufferPointer { table in
                for (position, index) in indices.enumerated() {
                    guard index >= 0, index < rows else {
                        throw LayerInputError.indexOutOfRange(position: position, index: Int(clamping: index), count: rows)
                    }
                    (output.baseAddress! + position * dim).update(from: table.baseAddress! + Int(index) * dim, count: dim)
                }
            }
        }
        return FloatTensor(uncheckedShape: shape + [dim], scalars: result)
    }

    /// `weight` under `prefix`.
    public func stateDictionary(prefix: String = "") -> TensorDictionary {
        var dictionary = TensorDictionary()
        dictionary[prefix + "weight"] = weight
        return dictionary
    }
}
