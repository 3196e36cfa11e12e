import Foundation

/// A TorchScript archive (`torch.jit.save`): `data.pkl` pickles the module
/// tree as objects of `__torch__.…` classes with every attribute, tensor or
/// not; which attributes are parameters and buffers is declared only in each
/// class's code (`__parameters__ = [...]`, `__buffers__ = [...]` in
/// `code/__torch__/….py`). Reading those declarations — as text, never run —
/// gives exactly `torch.jit.load(f).state_dict()`.
struct TorchScriptArchive {
    /// What a class's code declares.
    struct ClassDeclaration: Equatable {
        /// Whether it is a module (`class X(Module):`), whose attributes of module type are submodules.
        var isModule: Bool
        var parameters: Set<String>
        var buffers: Set<String>
    }

    let archive: ZipArchive
    let file: MappedFile
    let top: String
    let limits: ReadLimits
    /// Parsed code files by entry name (empty when the file is absent).
    private var declarations: [String: [String: ClassDeclaration]] = [:]

    init(archive: ZipArchive, file: MappedFile, top: String, limits: ReadLimits) {
        self.archive = archive
        self.file = file
        self.top = top
        self.limits = limits
    }

    static func isTorchScript(_ archive: ZipArchive, top: String) -> Bool {
        archive.entry(named: top + "constants.pkl") != nil || archive.entries.contains { $0.name.hasPrefix(top + "code/") }
    }

    // MARK: The state_dict

    /// `(name, tensor)` pairs in `state_dict()` order: each module's parameters
    /// then buffers (in attribute order, None skipped), then its submodules'
    /// entries, depth first. Tensors held by other attributes are not state.
    ///
    /// A module reached twice (a shared submodule) is listed under both
    /// paths, as torch does; modules queued and entries made count against
    /// `maxVisitedNodes` and their names against `maxNameBytes`, so a memo
    /// cycle or a module referencing itself a thousand times ends in a typed error.
    mutating func stateDict(of root: PickleValue) throws -> [(String, PickleValue)] {
        guard case let .object(rootObject) = root else {
            throw CheckpointError.invalidTensor(file: file.path, name: "<root>",
                reason: "a TorchScript archive whose data.pkl holds a \(root.kindName), not a module")
        }
        var entries: [(String, PickleValue)] = []
        var pending: [(prefix: String, object: PlaceholderObject, depth: Int)] = [("", rootObject, 0)]
        var visited = 1, nameBytes = 0
        func count(_ name: String) throws {
            visited += 1
            nameBytes += name.utf8.count
            guard visited <= limits.maxVisitedNodes else {
                throw CheckpointError.limitExceeded(file: file.path, what: "TorchScript modules and tensors visited", limit: limits.maxVisitedNodes)
            }
            guard nameBytes <= limits.maxNameBytes else {
                throw CheckpointError.limitExceeded(file: file.path, what: "bytes of tensor and value names", limit: limits.maxNameBytes)
            }
        }
        while let (prefix, object, depth) = pending.popLast() {
            guard depth <= limits.maxDepth else {
                throw CheckpointError.limitExceeded(file: file.path, what: "TorchScript module nesting", limit: limits.maxDepth)
            }
            let className = "\(object.module).\(object.name)"
            guard let declared = try declaration(of: object) else {
                throw CheckpointError.torchScriptClassUndefined(file: file.path, className: className, entry: codeEntry(object.module))
            }
            guard declared.isModule else {  // only the root can get here: children are modules by construction
                throw CheckpointError.invalidTensor(file: file.path, name: "<root>",
                    reason: "a TorchScript archive whose data.pkl holds a \(className), which its code does not declare a Module")
            }
            guard case let .dict(attributes)? = object.state else {
                throw CheckpointError.invalidTensor(file: file.path, name: prefix.isEmpty ? "<root>" : String(prefix.dropLast()),
                    reason: "the TorchScript module of class \(className) has no attribute dictionary")
            }
            let pairs = try zip(attributes.keys, attributes.values).map { key, value -> (String, PickleValue) in
                guard case let .string(name) = key else {
                    throw CheckpointError.invalidTensor(file: file.path, name: prefix + "?", reason: "a \(className) attribute named by a \(key.kindName)")
                }
                return (name, value)
            }
            for declaredSet in [declared.parameters, declared.buffers] {
                for (name, value) in pairs where declaredSet.contains(name) {
                    switch value {
                    case .tensor:
                        try count(prefix + name)
                        entries.append((prefix + name, value))
                    case .none: continue  // an optional parameter or buffer left unset: not in state_dict
                    default:
                        throw CheckpointError.invalidTensor(file: file.path, name: prefix + name,
                            reason: "declared a parameter or buffer of \(className) but holds a \(value.kindName)")
                    }
                }
            }
            var children: [(String, PlaceholderObject)] = []
            for (name, value) in pairs {
                guard case let .object(child) = value, try declaration(of: child)?.isModule == true else { continue }
                try count(prefix + name + ".")
                children.append((prefix + name + ".", child))
            }
            for (childPrefix, child) in children.reversed() { pending.append((childPrefix, child, depth + 1)) }
        }
        return entries
    }

    /// The tensors of `constants.pkl` (a tuple), as `constants.c<i>`.
    func namedConstants(_ constants: PickleValue) throws -> [(String, PickleValue)] {
        guard case let .tuple(items) = constants else {
            throw CheckpointError.corruptPickle(file: file.path, offset: 0, reason: "constants.pkl holds a \(constants.kindName), not a tuple")
        }
        return items.enumerated().compactMap { index, value in
            guard case .tensor = value else { return nil }  // non-tensor constants are not tensors to list
            return ("constants.c\(index)", value)
        }
    }

    /// A dict of the named tensors, for the `Flattener`.
    static func flatDict(_ entries: [(String, PickleValue)], arena: PickleArena) -> PickleValue {
        let dict = PickleDict()
        arena.containers.append(dict)
        for (name, value) in entries {
            // Key identities as PickleMachine.keyIdentity makes them for strings; a repeated name stays twice
            // in the list the Flattener sees, so it is refused there as a duplicate rather than overwritten.
            dict.set(.string(name), identity: "s\(name.utf8.count):" + name + "#\(dict.count)", value)
        }
        return .dict(dict)
    }

    // MARK: Class declarations

    /// `code/__torch__/a/b.py` for module `__torch__.a.b`.
    private func codeEntry(_ module: String) -> String {
        top + "code/" + module.replacingOccurrences(of: ".", with: "/") + ".py"
    }

    private mutating func declaration(of object: PlaceholderObject) throws -> ClassDeclaration? {
        guard object.module == "__torch__" || object.module.hasPrefix("__torch__.") else { return nil }
        let entryName = codeEntry(object.module)
        if declarations[entryName] == nil {
            guard let entry = archive.entry(named: entryName) else {
                declarations[entryName] = [:]
                return nil
            }
            guard entry.uncompressedSize <= limits.maxPickleBytes else {
                throw CheckpointError.limitExceeded(file: file.path, what: "\(entryName) of \(entry.uncompressedSize) bytes", limit: limits.maxPickleBytes)
            }
            let source = try ZipArchive.contents(of: entry, in: file, limits: limits)
                .withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            declarations[entryName] = Self.parseDeclarations(source)
        }
        return declarations[entryName]?[object.name]
    }

    /// The classes of one code file as TorchScript prints them:
    /// ```
    /// class Linear(Module):
    ///   __parameters__ = ["weight", "bias", ]
    ///   __buffers__ = []
    /// ```
    /// Only these lines are read; everything else (types, methods) is skipped.
    static func parseDeclarations(_ source: String) -> [String: ClassDeclaration] {
        var classes: [String: ClassDeclaration] = [:]
        var current: String?
        for line in source.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("class ") {
                let header = line.dropFirst("class ".count)
                guard let open = header.firstIndex(of: "("), let close = header.firstIndex(of: ")"), open < close else {
                    current = nil
                    continue
                }
                let name = String(header[..<open])
                current = name
                classes[name] = ClassDeclaration(isModule: header[header.index(after: open)..<close] == "Module",
                                                 parameters: [], buffers: [])
            } else if let name = current, line.hasPrefix("  __parameters__ = ") {
                classes[name]?.parameters = names(in: line)
            } else if let name = current, line.hasPrefix("  __buffers__ = ") {
                classes[name]?.buffers = names(in: line)
            } else if !line.hasPrefix(" ") {
                current = nil  // top-level code after the class
            }
        }
        return classes
    }

    /// The quoted names of `["a", "b", ]`.
    private static func names(in line: Substring) -> Set<String> {
        guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]"), open < close else { return [] }
        return Set(line[line.index(after: open)..<close].split(separator: ",").compactMap { item in
            let trimmed = item.trimmingCharacters(in: .whitespaces)
            guard trimmed.count >= 2, let quote = trimmed.first, quote == "\"" || quote == "'", trimmed.last == quote else { return nil }
            return String(trimmed.dropFirst().dropLast())
        })
    }
}
