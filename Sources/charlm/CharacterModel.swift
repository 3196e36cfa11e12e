import TorchCheckpoint
import TorchNN

/// Embedding → LSTM → Linear over a character vocabulary, built from a
/// checkpoint's weights with every size inferred from them.
///
/// Letters: V vocabulary size, E embedding size, H_out the LSTM's output size.
struct CharacterModel: Sendable {
    /// Where each layer's weights sit in the checkpoint (`tools/train_charlm.py`'s names by default).
    struct Prefixes: Sendable, Equatable {
        var embedding = "embed."
        var lstm = "rnn."
        var head = "head."
    }

    /// (V, E) table.
    let embedding: Embedding
    /// E → H_out, unidirectional (it runs as a stream).
    let lstm: LSTM
    /// H_out → V logits.
    let head: Linear

    /// Loads the three layers strictly and checks they fit together and fit `vocabularySize`.
    init(loading source: some TensorSource, prefixes: Prefixes = Prefixes(), vocabularySize: Int) throws {
        embedding = try Embedding(loading: source, prefix: prefixes.embedding)
        lstm = try LSTM(loading: source, prefix: prefixes.lstm, batchFirst: false)
        head = try Linear(loading: source, prefix: prefixes.head)
        let outputSize = lstm.projSize > 0 ? lstm.projSize : lstm.hiddenSize
        let checks: [(String, Int, Int)] = [
            ("embedding rows (\(prefixes.embedding)weight) vs. vocabulary size", vocabularySize, embedding.numEmbeddings),
            ("LSTM input size vs. embedding size", embedding.embeddingDim, lstm.inputSize),
            ("head input features vs. LSTM output size", outputSize * (lstm.bidirectional ? 2 : 1), head.inputFeatures),
            ("head output features (\(prefixes.head)weight) vs. vocabulary size", vocabularySize, head.outputFeatures),
        ]
        for (what, expected, found) in checks where expected != found {
            throw CharLMError.sizeMismatch(what: what, expected: expected, found: found)
        }
    }

    /// V.
    var vocabularySize: Int { head.outputFeatures }

    /// A fresh generation state: zero h and c, nothing fed yet.
    func makeSession() throws -> Session {
        Session(model: self, stream: try lstm.makeStream(batchSize: 1))
    }

    /// Feeds one character at a time through the layers' step API, carrying
    /// the LSTM's state, exactly as torch's side does in `train_charlm.py`.
    struct Session: Sendable {
        let model: CharacterModel
        var stream: RecurrentStream

        /// Feeds character `index` and returns the logits for the next one: V values.
        mutating func feed(_ index: Int) throws -> [Float] {
            let x = try model.embedding([index], shape: [1, 1])     // (T=1, B=1, E)
            let output = try stream.feed(x)                        // (1, 1, H_out)
            return try model.head(output).scalars                  // (1, 1, V)
        }
    }
}
