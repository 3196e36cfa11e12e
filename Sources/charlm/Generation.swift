/// The generation loop shared by the command and the tests.
enum Generation {
    /// Feeds `prompt` one index at a time, then chooses and feeds `length` more,
    /// calling `emit` with each chosen index as soon as it is chosen.
    /// - Returns: the chosen indices and the logits each was chosen from (V values per step).
    @discardableResult
    static func run(model: CharacterModel, prompt: [Int], length: Int, sampling: inout Sampling,
                    recordLogits: Int = 0, emit: (Int) -> Void = { _ in }) throws -> (indices: [Int], logits: [[Float]]) {
        guard !prompt.isEmpty else { throw CharLMError.emptyPrompt }
        var session = try model.makeSession()
        var logits: [Float] = []
        for index in prompt { logits = try session.feed(index) }
        var chosen: [Int] = [], recorded: [[Float]] = []
        chosen.reserveCapacity(length)
        for step in 0..<length {
            if step < recordLogits { recorded.append(logits) }
            let index = try sampling.choose(from: logits, step: step)
            chosen.append(index)
            emit(index)
            if step + 1 < length { logits = try session.feed(index) }
        }
        return (chosen, recorded)
    }
}
