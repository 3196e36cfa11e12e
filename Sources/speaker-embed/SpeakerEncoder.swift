import TorchNN

/// The layout of a published speaker encoder (GE2E): a 3-layer LSTM over 40 mel
/// channels, then `relu(linear(h_n[-1]))` scaled to unit L2 norm.
///
/// Letters: B utterances, T frames.
struct SpeakerEncoder: Module {
    var lstm: LSTM
    var linear: Linear

    init(loading loader: inout ModuleLoader, prefix: String) throws {
        // The published sizes are fixed: other sizes are mis-shaped keys, as in torch.
        loader.expectShapes(of: try LSTM(inputSize: 40, hiddenSize: 256, numLayers: 3, seed: 0), prefix: prefix + "lstm.")
        loader.expectShapes(of: try Linear(inputFeatures: 256, outputFeatures: 256, seed: 0), prefix: prefix + "linear.")
        lstm = try LSTM(loading: &loader, prefix: prefix + "lstm.", batchFirst: true)
        linear = try Linear(loading: &loader, prefix: prefix + "linear.")
    }

    /// - Parameter frames: (B, T, 40).
    /// - Returns: (B, 256), each row of unit L2 norm.
    func callAsFunction(_ frames: FloatTensor) throws -> FloatTensor {
        let hN = try lstm(frames).hN                                       // (3, B, 256)
        let raw = try linear(hN.select(axis: 0, index: -1)).relu()         // h_n[-1]: (B, 256)
        return try raw.l2Normalized(axis: 1)
    }
}
