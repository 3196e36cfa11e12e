/// The fixed rules behind REDUCE, NEWOBJ and BUILD for allowlisted globals.
/// Each checks its arguments' types; nothing else can be called.
extension PickleMachine {
    func apply(_ global: AllowedGlobal, _ args: [PickleValue], offset: Int) throws -> PickleValue {
        switch global {
        case .orderedDict:
            if args.isEmpty { return .dict(track(PickleDict())) }
            // OrderedDict(iterable of pairs), as older pickles write it.
            let dict = track(PickleDict())
            guard args.count == 1 else { throw corrupt(offset, "OrderedDict takes at most one argument") }
            let pairs: [PickleValue]
            switch args[0] {
            case let .list(list): pairs = list.items
            case let .tuple(items): pairs = Array(items)
            case let .dict(other):
                for (k, v) in zip(other.keys, other.values) { dict.set(k, identity: try keyIdentity(k, offset: offset), v) }
                return .dict(dict)
            default: throw corrupt(offset, "OrderedDict argument is a \(args[0].kindName)")
            }
            for pair in pairs {
                guard case let .tuple(kv) = pair, kv.count == 2 else { throw corrupt(offset, "OrderedDict item is not a pair") }
                dict.set(kv[0], identity: try keyIdentity(kv[0], offset: offset), kv[1])
            }
            return .dict(dict)

        case .rebuildTensorV1, .rebuildTensorV2, .rebuildTensorV3:
            // v1: (storage, storage_offset, size, stride)
            // v2: (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            // v3: v2's arguments, then dtype[, metadata]
            let minimum = global == .rebuildTensorV1 ? 4 : global == .rebuildTensorV2 ? 6 : 7
            guard args.count >= minimum, case let .storage(storage) = args[0] else {
                throw corrupt(offset, "_rebuild_tensor arguments do not start with a storage")
            }
            // torch.load reads a storage pickled as `torch.storage.UntypedStorage` as uint8 bytes.
            var dtype = storage.dtype ?? .uint8
            if global == .rebuildTensorV3 {
                switch args[6] {
                case let .global(.dtype(given)):
                    if let typed = storage.dtype, typed != given, typed != .uint8 {
                        throw CheckpointError.invalidTensor(file: file, name: storage.key, reason: "storage of \(typed.rawValue) rebuilt as \(given.rawValue)")
                    }
                    dtype = given
                case let .global(.dtypeWithoutLayout(name)):
                    throw CheckpointError.unsupportedTensorKind(file: file, global: "torch.\(name)", kind: .dtypeWithoutLayout, offset: offset)
                default:
                    throw corrupt(offset, "_rebuild_tensor_v3 without a dtype")
                }
            }
            return .tensor(try tensorRecord(storage: storage, dtype: dtype, offset: args[1], size: args[2], stride: args[3], at: offset))

        case .rebuildDeviceTensorFromCPUTensor:
            // (data, dtype, device, requires_grad): the data is already a CPU tensor of that dtype.
            guard args.count == 4, case let .tensor(record) = args[0], case let .global(.dtype(dtype)) = args[1] else {
                throw corrupt(offset, "_rebuild_device_tensor_from_cpu_tensor with unexpected arguments")
            }
            guard record.dtype == dtype else {
                throw CheckpointError.invalidTensor(file: file, name: record.storage.key, reason: "a \(record.dtype.rawValue) tensor rebuilt on a device as \(dtype.rawValue)")
            }
            return args[0]

        case let .unsupportedTensor(name, kind):
            throw CheckpointError.unsupportedTensorKind(file: file, global: name, kind: kind, offset: offset)

        case .counter:
            // Counter.__reduce__ gives (Counter, (dict,)); an iterable argument would count its items.
            switch args.first {
            case nil: return .dict(track(PickleDict()))
            case .dict? where args.count == 1: return try apply(.orderedDict, args, offset: offset)
            default: throw corrupt(offset, "Counter expects no argument or one dict")
            }

        case .rebuildParameter, .rebuildParameterWithState:
            guard let data = args.first, case .tensor = data else { throw corrupt(offset, "_rebuild_parameter without a tensor") }
            return data

        case .rebuildFromTypeV2:
            // (func, type, args, state): only for the Tensor/Parameter classes and allowed rebuild functions.
            guard args.count >= 3, case let .global(function) = args[0], case .global(.tensorClass) = args[1],
                  case let .tuple(inner) = args[2] else {
                throw corrupt(offset, "_rebuild_from_type_v2 with unexpected arguments")
            }
            return try apply(function, Array(inner), offset: offset)

        case .torchSize:
            guard args.count == 1, case let .tuple(dims) = args[0] else { throw corrupt(offset, "torch.Size expects a tuple") }
            return .tuple(dims)
        case .torchDevice:
            guard case let .string(kind)? = args.first else { throw corrupt(offset, "torch.device expects a string") }
            if args.count > 1, case let .int(index) = args[1] { return .string("\(kind):\(index)") }
            return .string(kind)
        case .codecsEncode:
            // _codecs.encode(text, 'latin1'): how protocol 2 spells bytes.
            guard case let .string(text)? = args.first else { throw corrupt(offset, "_codecs.encode expects a string") }
            var out: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw corrupt(offset, "_codecs.encode text is not latin-1") }
                out.append(UInt8(scalar.value))
            }
            return .bytes(out)
        case .builtinSet, .builtinFrozenset:
            guard let source = args.first else { return .set(track(PickleSequence([]))) }
            return .set(track(PickleSequence(try elements(of: source, offset))))
        case .builtinBytearray:
            guard let source = args.first else { return .bytes([]) }
            guard case let .bytes(b) = source else { throw corrupt(offset, "bytearray expects bytes") }
            return .bytes(b)
        case .builtinComplex:
            func real(_ v: PickleValue?) -> Double? {
                switch v {
                case let .float(d)?: return d
                case let .int(i)?: return Double(i)
                case nil: return 0
                default: return nil
                }
            }
            guard let re = real(args.first), let im = real(args.count > 1 ? args[1] : nil) else {
                throw corrupt(offset, "complex expects numbers")
            }
            return .complex(re, im)
        case .getLayout:
            guard case let .string(name)? = args.first else { throw corrupt(offset, "_get_layout expects a string") }
            return .string(name)
        case .jitPassThrough:
            guard let first = args.first else { throw corrupt(offset, "\(global) without arguments") }
            return first
        case let .placeholder(module, name):
            return .object(track(PlaceholderObject(module: module, name: name, arguments: args)))
        case .tensorClass, .storageClass, .dtype, .layout, .memoryFormat, .dtypeWithoutLayout, .qscheme:
            throw corrupt(offset, "REDUCE on \(global), which is not callable here")
        }
    }

    /// NEWOBJ: `cls.__new__(cls, *args)` for the few allowed classes.
    func construct(_ global: AllowedGlobal, _ args: [PickleValue], offset: Int) throws -> PickleValue {
        switch global {
        case .orderedDict, .counter: return .dict(track(PickleDict()))
        case let .unsupportedTensor(name, kind):
            throw CheckpointError.unsupportedTensorKind(file: file, global: name, kind: kind, offset: offset)
        case .builtinSet, .builtinFrozenset, .builtinBytearray, .builtinComplex: return try apply(global, args, offset: offset)
        case let .placeholder(module, name): return .object(track(PlaceholderObject(module: module, name: name, arguments: args)))
        default: throw corrupt(offset, "cannot construct \(global) with NEWOBJ")
        }
    }

    /// BUILD: dicts take attributes (OrderedDict's `_metadata`); tensors and
    /// parameters may carry Python attributes, which are plain data and ignored.
    func build(_ target: PickleValue, state: PickleValue, offset: Int) throws {
        switch target {
        case let .dict(dict):
            switch state {
            case let .dict(attributes): dict.attributes = attributes
            case .none: break
            case let .tuple(parts) where parts.count == 2:
                if case let .dict(attributes) = parts[0] { dict.attributes = attributes }
            default: throw corrupt(offset, "BUILD on a dict with a \(state.kindName) state")
            }
        case .tensor:
            break
        case let .object(object):
            object.state = state
        default:
            throw corrupt(offset, "BUILD on a \(target.kindName)")
        }
    }

    private func elements(of value: PickleValue, _ offset: Int) throws -> [PickleValue] {
        switch value {
        case let .list(list): return list.items
        case let .tuple(items), let .set(items): return Array(items)
        default: throw corrupt(offset, "expected a sequence, found a \(value.kindName)")
        }
    }

    /// Validates a strided view against its storage with checked arithmetic:
    /// shapes and strides must be non-negative integers of equal rank, and the
    /// furthest element must lie inside the storage.
    private func tensorRecord(storage: StorageRecord, dtype: DType, offset: PickleValue, size: PickleValue,
                              stride: PickleValue, at position: Int) throws -> TensorRecord {
        func ints(_ value: PickleValue, _ what: String) throws -> [Int] {
            guard case let .tuple(items) = value else { throw corrupt(position, "tensor \(what) is a \(value.kindName), not a tuple") }
            return try items.map {
                guard case let .int(i) = $0 else { throw corrupt(position, "tensor \(what) holds a \($0.kindName)") }
                return i
            }
        }
        guard case let .int(storageOffset) = offset else { throw corrupt(position, "tensor storage offset is not an integer") }
        let shape = try ints(size, "size")
        let strides = try ints(stride, "stride")
        let name = "storage \(storage.key)"
        guard shape.count == strides.count else {
            throw CheckpointError.invalidTensor(file: file, name: name, reason: "size \(shape) and stride \(strides) differ in rank")
        }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }), storageOffset >= 0 else {
            throw CheckpointError.invalidTensor(file: file, name: name, reason: "negative size, stride or offset (size \(shape), stride \(strides), offset \(storageOffset))")
        }
        // Storage capacity in elements of the tensor's dtype.
        let capacity: Int
        if let typed = storage.dtype, typed == dtype {
            capacity = storage.count
        } else {
            capacity = storage.count / dtype.itemSize  // untyped storage: count is bytes
        }
        var elements = 1
        var furthest = storageOffset
        for (n, s) in zip(shape, strides) {
            let (e, o1) = elements.multipliedReportingOverflow(by: n)
            guard !o1 else { throw CheckpointError.invalidTensor(file: file, name: name, reason: "element count of shape \(shape) overflows") }
            elements = e
            if n > 0 {
                let (reach, o2) = (n - 1).multipliedReportingOverflow(by: s)
                let (sum, o3) = furthest.addingReportingOverflow(reach)
                guard !o2, !o3 else { throw CheckpointError.outOfBounds(file: file, name: name, reason: "stride \(strides) overflows") }
                furthest = sum
            }
        }
        // The view's bytes must be countable too (2^62 float32 elements through stride 0 fit in Int; their bytes do not).
        guard !elements.multipliedReportingOverflow(by: dtype.itemSize).overflow else {
            throw CheckpointError.invalidTensor(file: file, name: name, reason: "the byte count of shape \(shape) of \(dtype.rawValue) overflows")
        }
        if elements > 0, furthest >= capacity {
            throw CheckpointError.outOfBounds(file: file, name: name,
                reason: "element \(furthest) (offset \(storageOffset), size \(shape), stride \(strides)) of a storage of \(capacity) \(dtype.rawValue) elements")
        }
        if elements == 0, storageOffset > capacity {
            throw CheckpointError.outOfBounds(file: file, name: name, reason: "offset \(storageOffset) past a storage of \(capacity) elements")
        }
        return TensorRecord(storage: storage, dtype: dtype, storageOffset: storageOffset, shape: shape, strides: strides)
    }
}
