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
    /// The expansion budget as a multiple of the file's size. Expansion is
    /// every byte reading produces that the file does not hold: a view's
    /// elements beyond the stretch of storage they span (`expand`'s stride 0
    /// turns one stored float into gigabytes), and a deflated record's
    /// inflated bytes beyond its compressed ones (up to 1032 times). Each view
    /// and each record is charged once, the first time it is read, and the
    /// total must stay within the budget: the larger of this times the file
    /// size and ``maxExpansionBytes``. Transposes, slices, shared storages
    /// and stored records expand nothing, so ordinary checkpoints never come
    /// near it; real weights deflate to 0.8–0.95 of their size, so even a
    /// deflated checkpoint expands by less than its own size.
    public var maxExpansionRatio = 16
    /// The expansion budget's floor, in bytes (see ``maxExpansionRatio``): a
    /// small file may still expand a zeroed buffer or a broadcast view up to
    /// this much. `ptconvert --max-expansion SIZE` sets it.
    public var maxExpansionBytes = 1 << 30

    /// The default limits; change single fields to raise one.
    public init() {}

    /// The expansion budget of a file of `fileSize` bytes: the larger of
    /// ``maxExpansionRatio`` × `fileSize` and ``maxExpansionBytes`` (at most Int.max).
    public func expansionBudget(fileSize: Int) -> Int {
        let (scaled, overflow) = max(maxExpansionRatio, 0).multipliedReportingOverflow(by: max(fileSize, 0))
        return max(overflow ? Int.max : scaled, maxExpansionBytes)
    }

    /// The defaults every reader uses unless given others.
    public static let `default` = ReadLimits()
}
