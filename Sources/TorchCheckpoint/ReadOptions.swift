/// How strictly a checkpoint's pickle is read.
public struct ReadOptions: Sendable {
    /// What to do with a class or function outside the allowlist.
    public enum UnknownGlobals: Sendable {
        /// Refuse the file, naming the global, as `torch.load(weights_only=True)` does.
        case refuse
        /// Build inert placeholder objects for them — nothing is imported or
        /// called — so the tensors of a `torch.save(model)` pickle or a
        /// TorchScript archive can be extracted. Names follow module paths
        /// (`rnn.weight_ih_l0`, through `_parameters`, `_buffers`, `_modules`);
        /// a TorchScript archive gives exactly `torch.jit.load(f).state_dict()`:
        /// the parameters and buffers its classes declare, module by module.
        case placeholder
    }

    /// Refuse (the default) or build placeholders for globals outside the allowlist.
    public var unknownGlobals: UnknownGlobals
    /// TorchScript archives read with `.placeholder`: also list the tensors of
    /// `constants.pkl` (what the code calls `CONSTANTS.c0`, ...) as
    /// `constants.c0`, ... after the state_dict. They are not part of
    /// `torch.jit.load(f).state_dict()`, so they are left out by default.
    public var torchScriptConstants: Bool
    /// Check the CRC-32 of each stored (uncompressed) storage record of a zip
    /// checkpoint when it is first read (the default), or trust it, as
    /// `torch.load` does: torch 2.15 checks no CRC, with or without `mmap=True`
    /// (a byte flipped in a storage loads silently; `tools/bench_load.py crc`
    /// shows it). The check is one extra pass over the record, which costs about
    /// as much as reading it once (see BENCHMARKS.md). Pickles and deflated
    /// records are checked either way.
    public var verifiesStoredChecksums: Bool

    /// Options for reading; the defaults read state dictionaries and refuse everything else.
    /// - Parameters:
    ///   - unknownGlobals: `.placeholder` to read `torch.save(model)` pickles and TorchScript archives.
    ///   - torchScriptConstants: also list a TorchScript archive's `constants.pkl` tensors.
    ///   - verifiesStoredChecksums: false to skip the CRC-32 check of stored storage records.
    public init(unknownGlobals: UnknownGlobals = .refuse, torchScriptConstants: Bool = false,
                verifiesStoredChecksums: Bool = true) {
        self.unknownGlobals = unknownGlobals
        self.torchScriptConstants = torchScriptConstants
        self.verifiesStoredChecksums = verifiesStoredChecksums
    }
}
