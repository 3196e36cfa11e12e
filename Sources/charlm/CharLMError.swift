import Foundation

/// Why `charlm` cannot load its model or run a prompt: each case names the file,
/// the key or the character involved.
enum CharLMError: Error, LocalizedError, Equatable, Sendable {
    /// The vocabulary file is not `{"characters": ["a", "b", ...]}`.
    case malformedVocabulary(file: String, reason: String)
    /// A vocabulary entry that is not exactly one Unicode scalar (torch's side
    /// indexes Python `str` characters, which are scalars).
    case vocabularyEntryNotOneCharacter(file: String, index: Int, entry: String)
    /// The same character at two indices.
    case duplicateVocabularyEntry(file: String, character: String, first: Int, second: Int)
    /// The checkpoint's layers do not fit together or do not fit the vocabulary
    /// (`what` names both sides, for example "embedding rows vs. vocabulary").
    case sizeMismatch(what: String, expected: Int, found: Int)
    /// A prompt character the model has never seen.
    case unknownCharacter(character: String, position: Int, vocabularySize: Int)
    /// The prompt is empty: the model needs at least one character to condition on.
    case emptyPrompt
    /// The model produced a NaN or infinite logit (broken weights): no character can be chosen.
    case nonFiniteLogits(step: Int)

    var errorDescription: String? {
        switch self {
        case let .malformedVocabulary(file, reason):
            return "\(file): not a vocabulary: \(reason); expected {\"characters\": [\"a\", \"b\", ...]}"
        case let .vocabularyEntryNotOneCharacter(file, index, entry):
            return "\(file): characters[\(index)] is \(Self.quoted(entry)); expected exactly one character"
        case let .duplicateVocabularyEntry(file, character, first, second):
            return "\(file): \(Self.quoted(character)) appears at characters[\(first)] and characters[\(second)]"
        case let .sizeMismatch(what, expected, found):
            return "the checkpoint does not fit together: \(what): expected \(expected), found \(found)"
        case let .unknownCharacter(character, position, vocabularySize):
            return "the prompt's character \(Self.quoted(character)) at position \(position) is not in the model's "
                + "vocabulary of \(vocabularySize) characters"
        case .emptyPrompt:
            return "the prompt is empty; give at least one character"
        case let .nonFiniteLogits(step):
            return "the model produced a non-finite logit at step \(step); its weights are broken"
        }
    }

    /// A character as a reader can see it: quoted, control characters escaped (`"\n"`).
    static func quoted(_ text: String) -> String { String(reflecting: text) }
}
