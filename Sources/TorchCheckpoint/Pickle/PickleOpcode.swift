/// The pickle opcodes, named as Python's `pickle` module names them (`GLOBAL`
/// is `global`, `SHORT_BINUNICODE` is `shortBinUnicode`): the one table the
/// pickle machine and the `.pt` writer share.
enum PickleOpcode: UInt8, Sendable, CaseIterable {
    // Protocol 0 (text)
    case mark = 0x28, stop = 0x2E, pop = 0x30, popMark = 0x31, dup = 0x32
    case float = 0x46, int = 0x49, long = 0x4C, none = 0x4E, persid = 0x50
    case reduce = 0x52, string = 0x53, unicode = 0x56, append = 0x61, build = 0x62
    case global = 0x63, dict = 0x64, get = 0x67, inst = 0x69, list = 0x6C
    case obj = 0x6F, put = 0x70, setItem = 0x73, tuple = 0x74
    // Protocol 1 (binary)
    case binFloat = 0x47, binInt = 0x4A, binInt1 = 0x4B, binInt2 = 0x4D, binPersid = 0x51
    case binString = 0x54, shortBinString = 0x55, binUnicode = 0x58, emptyList = 0x5D
    case appends = 0x65, binGet = 0x68, longBinGet = 0x6A, binPut = 0x71, longBinPut = 0x72
    case setItems = 0x75, emptyDict = 0x7D, emptyTuple = 0x29
    // Protocol 2
    case proto = 0x80, newObj = 0x81, tuple1 = 0x85, tuple2 = 0x86, tuple3 = 0x87
    case newTrue = 0x88, newFalse = 0x89, long1 = 0x8A, long4 = 0x8B
    // Protocol 3
    case binBytes = 0x42, shortBinBytes = 0x43
    // Protocol 4
    case shortBinUnicode = 0x8C, binUnicode8 = 0x8D, binBytes8 = 0x8E, emptySet = 0x8F
    case addItems = 0x90, frozenSet = 0x91, newObjEx = 0x92, stackGlobal = 0x93, memoize = 0x94, frame = 0x95
    // Protocol 5
    case byteArray8 = 0x96, nextBuffer = 0x97, readOnlyBuffer = 0x98
}
