import Foundation

/// The characters of a character-level model, index by index, as
/// `tools/train_charlm.py` writes them: `{"characters": ["\n", " ", "!", ...]}`.
///
/// Characters are Unicode scalars, like the characters of a Python `str`, so an
/// index here is the index torch's side used.
struct Vocabulary: Sendable, Equatable {
    /// The character of each index: V entries.
    let characters: [Unicode.Scalar]
    private let indices: [Unicode.Scalar: Int]

    /// V.
    var count: Int { characters.count }

    init(characters: [Unicode.Scalar], file: String = "vocabulary") throws {
        var indices: [Unicode.Scalar: Int] = [:]
        for (index, character) in characters.enumerated() {
            if let first = indices[character] {
                throw CharLMError.duplicateVocabularyEntry(file: file, character: String(character), first: first, second: index)
            }
            indices[character] = index
        }
        guard !characters.isEmpty else {
            throw CharLMError.malformedVocabulary(file: file, reason: "\"characters\" is empty")
        }
        self.characters = characters
        self.indices = indices
    }

    /// Reads a vocabulary file.
    init(contentsOf path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CharLMError.malformedVocabulary(file: path, reason: "cannot read it (\(error.localizedDescription))")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw CharLMError.malformedVocabulary(file: path, reason: "not JSON")
        }
        guard let dictionary = object as? [String: Any], let entries = dictionary["characters"] else {
            throw CharLMError.malformedVocabulary(file: path, reason: "no \"characters\" key")
        }
        guard let strings = entries as? [String] else {
            throw CharLMError.malformedVocabulary(file: path, reason: "\"characters\" is not an array of strings")
        }
        let scalars = try strings.enumerated().map { index, entry in
            guard entry.unicodeScalars.count == 1, let scalar = entry.unicodeScalars.first else {
                throw CharLMError.vocabularyEntryNotOneCharacter(file: path, index: index, entry: entry)
            }
            return scalar
        }
        try self.init(characters: scalars, file: path)
    }

    /// The indices of `text`'s characters.
    /// - Throws: ``CharLMError/unknownCharacter(character:position:vocabularySize:)`` for the first character not in the vocabulary.
    func encode(_ text: String) throws -> [Int] {
        try text.unicodeScalars.enumerated().map { position, scalar in
            guard let index = indices[scalar] else {
                throw CharLMError.unknownCharacter(character: String(scalar), position: position, vocabularySize: count)
            }
            return index
        }
    }

    /// The character of `index` (in 0..<V).
    func character(_ index: Int) -> Unicode.Scalar { characters[index] }
}
