/// Resource budgets for reading untrusted checkpoints. A file that exceeds one
/// is refused with `CheckpointError.limitExceeded` instead of exhausting
/// memory or time. The defaults are far above anything torch.save writes for
/// real models.
public struct ReadLimits: Sendable {
    /// Largest pickle stream (data.pkl) read, in bytes.
    public var maxPickleBytes = 512 << 20
    /// Most pickle opcodes executed.
    public var maxOpcodes = 100_000_000
    /// Most memo entries.
    public var maxMemoEntries = 10_000_000
    /// Deepest pickle stack / container nesting walked.
    public var maxDepth = 1_000
    /// Most container nodes and leaves visited while naming tensors (guards
    /// against a small pickle that references one list a billion times through
    /// the memo). Every visit can leave a named tensor or value behind, so this
    /// also bounds how many names are kept: at the default, a pickle of 2^60
    /// paths is refused in a fraction of a second, and one whose 500,000 leaves
    /// are all tensors in about 150 MB. A state_dict visits a few nodes per
    /// tensor; raise it for checkpoints that hold millions of values.
    public var maxVisitedNodes = 1_000_000
    /// Most bytes of names (tensor and value paths) made while naming tensors:
    /// a memo bomb can make a million paths each kilobytes long.
    public var maxNameBytes = 64 << 20
    /// Most zip entries.
    public var maxZipEntries = 1_000_000
    /// Largest size a deflated entry may inflate to.
    public var maxInflatedEntryBytes = 16 << 30
    /// Largest contiguous buffer one tensor is materialised into (`floatTensor`,
    /// `contiguousBytes`, ...). A stride-0 (expanded) view of a one-element
    /// storage is valid torch metadata for any number of elements: this bounds
    /// what reading its values allocates.
    public var maxTensorBytes = 16 << 30

    public init() {}

    public static let `default` = ReadLimits()
}
