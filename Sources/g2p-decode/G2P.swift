import TorchNN

/// A grapheme-to-phoneme encoder–decoder: graphemes → Embedding → GRU encoder; a
/// GRUCell decoder, started from the encoder's last h and fed the embedding of its own
/// previous argmax; a Linear layer to the phoneme vocabulary. Greedy decoding.
///
/// Letters: B words, T graphemes, H hidden size.
struct G2P: Module {
    var graphemes: Embedding
    var encoder: GRU
    var phonemes: Embedding
    var decoder: GRUCell
    var classifier: Linear

    init(loading loader: inout ModuleLoader, prefix: String) throws {
        graphemes = try Embedding(loading: &loader, prefix: prefix + "graphemes.")
        encoder = try GRU(loading: &loader, prefix: prefix + "encoder.", batchFirst: true)
        phonemes = try Embedding(loading: &loader, prefix: prefix + "phonemes.")
        decoder = try GRUCell(loading: &loader, prefix: prefix + "decoder.")
        classifier = try Linear(loading: &loader, prefix: prefix + "classifier.")
    }

    /// - Parameters:
    ///   - words: (B, T) grapheme indices, padded past each word's length.
    ///   - lengths: B lengths in 1...T.
    /// - Returns: each word's phonemes, up to (not including) `end` or `maxSteps` of them.
    func decode(_ words: IntegerTensor, lengths: [Int], start: Int64, end: Int64, maxSteps: Int) throws -> [[Int64]] {
        var h = try encoder(graphemes(words), lengths: lengths).hN.select(axis: 0, index: -1)   // (B, H)
        var tokens = IntegerTensor([Int64](repeating: start, count: lengths.count))
        var decoded = [[Int64]](repeating: [], count: lengths.count), done = [Bool](repeating: false, count: lengths.count)
        for _ in 0..<max(maxSteps, 0) where done.contains(false) {
            h = try decoder(phonemes(tokens), initialState: h)
            tokens = try classifier(h).argmax(axis: 1)
            for (b, token) in tokens.scalars.enumerated() where !done[b] {
                if token == end { done[b] = true } else { decoded[b].append(token) }
            }
        }
        return decoded
    }
}
