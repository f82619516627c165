import Foundation
import Testing

@testable import ModelFormats

/// Runs the restricted unpickler over `bytes` with the torch allow-list.
private func unpickle(_ bytes: [UInt8], path: String = "test.pkl") throws -> Unpickled {
    try bytes.withUnsafeBytes {
        try PickleMachine.run($0, path: path, label: "data.pkl", allowed: TorchCheckpoint.allowedGlobals)
    }
}

/// A Python-like rendering of a value, to compare decoded pickles with what Python pickled.
private func render(_ value: PickleValue, _ unpickled: Unpickled) -> String {
    func all(_ items: [PickleValue]) -> String { items.map { render($0, unpickled) }.joined(separator: ", ") }
    switch value {
    case .none: return "None"
    case .bool(let flag): return flag ? "True" : "False"
    case .int(let n): return String(n)
    case .bigInt(let text): return text
    case .float(let x): return String(x)
    case .string(let text): return "'\(text)'"
    case .bytes(let bytes): return "b'" + bytes.map { String(format: "%02x", $0) }.joined() + "'"
    case .global(let name): return name
    case .object(let index):
        switch unpickled.objects[index] {
        case .list(let items): return "[\(all(items))]"
        case .tuple(let items): return "(\(all(items)))"
        case .set(let items): return "{\(all(items))}"
        case .dict(let pairs):
            return "{"
                + pairs.map { render($0.key, unpickled) + ": " + render($0.value, unpickled) }
                .joined(separator: ", ") + "}"
        case .persistent(let id): return "pid\(render(id, unpickled))"
        case .instance(let callable, let arguments, _): return callable + render(arguments, unpickled)
        }
    }
}

private func hexBytes(_ hex: Substring) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        bytes.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}

/// The kind of error unpickling `bytes` throws, checking that the message starts with the path.
private func pickleError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> ModelFormatError.Kind?
{
    do {
        _ = try unpickle(bytes, path: "hostile.pkl")
        return nil
    } catch let error as ModelFormatError {
        #expect(error.description.hasPrefix("hostile.pkl: "), sourceLocation: sourceLocation)
        return error.kind
    } catch {
        Issue.record("not a ModelFormatError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite("PickleMachine") struct PickleMachineTests {
    @Test("protocols 0–5 written by Python decode to the same values")
    func protocols() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = try torchPython(
            """
            shared = [5]
            value = {'a': 1, 'neg': -70000, 'i2': 300, 'i4': 2**31 - 1, 'f': 1.5, 's': 'h\\u00e9llo\\n',
                     'b': b'\\x00\\xff', 'e': b'', 't': (1, 2, 3), 'l': [1, [2]], 'n': None, 'yes': True,
                     'no': False, 'set': {7}, 'fs': frozenset({8}), 'od': collections.OrderedDict([('x', 1)]),
                     'shared': [shared, shared], 'dtype': torch.FloatStorage,
                     'dd': collections.defaultdict(list, {'k': [1]})}
            for protocol in range(6):
                print(pickle.dumps(value, protocol=protocol).hex())
            print(pickle.dumps(2**70, protocol=2).hex(), pickle.dumps(-2**70, protocol=0).hex())
            """, in: directory)
        let lines = output.split(separator: "\n")
        try #require(lines.count == 7)
        let expected =
            "{'a': 1, 'neg': -70000, 'i2': 300, 'i4': 2147483647, 'f': 1.5, 's': 'h\u{e9}llo\n', 'b': b'00ff', "
            + "'e': b'', 't': (1, 2, 3), 'l': [1, [2]], 'n': None, 'yes': True, 'no': False, 'set': {7}, "
            + "'fs': {8}, 'od': {'x': 1}, 'shared': [[5], [5]], 'dtype': torch.FloatStorage, 'dd': {'k': [1]}}"
        for (version, line) in lines.prefix(6).enumerated() {
            let bytes = hexBytes(line)
            let unpickled = try unpickle(bytes)
            #expect(render(unpickled.root, unpickled) == expected, "protocol \(version)")
            #expect(unpickled.end == bytes.count)
            // The memo shares objects as Python does: both entries are the same list.
            guard case .dict(let pairs)? = unpickled.object(unpickled.root),
                let shared = pairs.first(where: { $0.key == .string("shared") }),
                let items = unpickled.sequence(shared.value)
            else {
                Issue.record("no shared entry")
                continue
            }
            #expect(items[0] == items[1], "protocol \(version)")
        }
        let bigs = lines[6].split(separator: " ")
        #expect(try unpickle(hexBytes(bigs[0])).root == .bigInt("0x400000000000000000"))
        #expect(try unpickle(hexBytes(bigs[1])).root == .bigInt("-1180591620717411303424"))
    }

    @Test("os.system, builtins.eval, subprocess.Popen and torch.storage._load_from_bytes are refused unrun")
    func forbiddenGlobals() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let marker = directory + "/pwned"
        let output = try torchPython(
            """
            marker = os.path.join(D, 'pwned')
            def malicious(module, name, args):
                body = pickle.dumps(args, protocol=2)[2:-1]
                return b'\\x80\\x02c' + module.encode() + b'\\n' + name.encode() + b'\\n' + body + b'R.'
            cases = [
                malicious('os', 'system', ('touch ' + marker,)),
                malicious('__builtin__', 'eval', ("open(%r, 'w').close()" % marker,)),
                malicious('subprocess', 'Popen', (['touch', marker],)),
                malicious('torch.storage', '_load_from_bytes', (b'PK',)),
            ]
            class Evil:
                def __reduce__(self):
                    return (os.system, ('touch ' + marker,))
            cases.append(pickle.dumps(collections.OrderedDict([('w', Evil())]), protocol=2))
            cases.append(pickle.dumps({'w': Evil()}, protocol=4))  # STACK_GLOBAL
            # The payloads are live: Python's own unpickler does create the marker.
            pickle.loads(cases[0])
            print(os.path.exists(marker))
            os.remove(marker)
            for i, case in enumerate(cases):
                write_zip(os.path.join(D, 'evil%d.pt' % i), [('archive/data.pkl', case), ('archive/version', b'3')])
            """, in: directory)
        #expect(output == "True")
        let names = ["os.system", "builtins.eval", "subprocess.Popen", "torch.storage._load_from_bytes"]
        for (index, name) in names.enumerated() {
            #expect(torchError(directory + "/evil\(index).pt") == .forbiddenGlobal(name))
        }
        for index in 4...5 {
            guard case .forbiddenGlobal(let name) = torchError(directory + "/evil\(index).pt") else {
                Issue.record("evil\(index).pt should be refused")
                continue
            }
            #expect(name.hasSuffix(".system"))  // posix.system on Linux
        }
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("every truncation of a state dict's data.pkl is a clean error")
    func truncations() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            state = collections.OrderedDict([('decoder.weight', tensor(np.ones((3, 2)))),
                                             ('decoder.bias', Parameter(tensor(np.zeros(3), 'f16')))])
            data, _ = dump({'model': state, 'args': argparse.Namespace(lr=0.1), 'big': 2**80})
            open(os.path.join(D, 'data.pkl'), 'wb').write(data)
            """, in: directory)
        let pickle = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/data.pkl")))
        _ = try unpickle(pickle)
        let path = directory + "/model.pt"
        for length in 0..<pickle.count {
            guard case .truncated = pickleError(Array(pickle[..<length])) else {
                Issue.record("prefix of \(length) bytes")
                continue
            }
            try writeTorchZip(Array(pickle[..<length]), to: path)
            guard case .truncated = torchError(path) else {
                Issue.record("checkpoint with a data.pkl of \(length) bytes")
                continue
            }
        }
        // And truncations of the whole file (zip directory and members).
        try writeTorchZip(pickle, storages: [("0", [UInt8](repeating: 0, count: 24))], to: path)
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for length in stride(from: 0, to: whole.count, by: 3) {
            try Data(whole[..<length]).write(to: URL(fileURLWithPath: path))
            #expect(torchError(path) != nil, "file of \(length) bytes")
        }
    }

    @Test("seeded garbage and mutated pickles fail cleanly or load checked tensors")
    func garbage() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = try torchPython(
            """
            shared = storage(np.arange(12.0))
            state = collections.OrderedDict([('w', Tensor(shared, 0, (3, 2), (2, 1))),
                                             ('t', Tensor(shared, 6, (2, 3), (1, 2))),
                                             ('b', Tensor(shared, 2, (4,), (1,)))])
            data, storages = dump({'model': state, 'ids': tensor(np.arange(4), 'i64')})
            open(os.path.join(D, 'data.pkl'), 'wb').write(data)
            for key, stored in storages.items():
                open(os.path.join(D, 'storage' + key), 'wb').write(stored.data)
            print(' '.join(storages))
            """, in: directory)
        let pickle = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/data.pkl")))
        let storages = try keys.split(separator: " ").map {
            (String($0), [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/storage\($0)"))))
        }
        var generator = TorchSeededGenerator(state: 20_260_601)
        let path = directory + "/model.pt"
        var loaded = 0
        for round in 0..<600 {
            var bytes: [UInt8]
            if round < 200 {
                bytes = (0..<Int.random(in: 0..<300, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                if round % 2 == 0 { bytes = [0x80, 0x02] + bytes }
            } else {
                bytes = pickle
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                        in: 0...255, using: &generator)
                }
            }
            try writeTorchZip(bytes, storages: storages, to: path)
            do {
                let checkpoint = try TorchCheckpoint(path: path)
                loaded += 1
                for tensor in checkpoint.tensors {
                    _ = try? checkpoint.matrix(tensor.name)
                    _ = try? checkpoint.vector(tensor.name)
                }
            } catch let error as ModelFormatError {
                #expect(error.description.hasPrefix(path + ": "))
            }
        }
        #expect(loaded > 0)  // some mutations only touch names or numbers
    }

    @Test("huge length fields and memo indices are refused before anything is allocated")
    func hugeLengths() {
        let cases: [[UInt8]] = [
            [0x80, 0x04, 0x8D] + [UInt8](repeating: 0xFF, count: 8) + [0x2E],  // BINUNICODE8
            [0x80, 0x04, 0x8E, 0, 0, 0, 0, 0, 0, 0, 0x40] + [0x2E],  // BINBYTES8 of 2^62
            [0x80, 0x02, 0x58, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E],  // BINUNICODE
            [0x80, 0x02, 0x42, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E],  // BINBYTES
            [0x80, 0x02, 0x8B, 0xFF, 0xFF, 0xFF, 0x7F, 0x2E],  // LONG4
            [0x80, 0x02, 0x8B, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E],  // LONG4, negative
            [0x80, 0x02, 0x6A, 0xFF, 0xFF, 0xFF, 0xFF, 0x2E],  // LONG_BINGET never stored
            [0x80, 0x02, 0x67] + Array("99999999999999999999999\n".utf8) + [0x2E],  // GET beyond Int
            [0x80, 0x06, 0x4E, 0x2E],  // protocol 6
            [0x80, 0x02, 0x69] + Array("os\nsystem\n".utf8),  // INST
            [0x80, 0x02, 0x82, 0x01],  // EXT1
            [0x80, 0x05, 0x97],  // NEXT_BUFFER
            [0x80, 0x02, 0x4E, 0x61, 0x2E],  // APPEND to None
            [0x80, 0x02, 0x28, 0x65, 0x2E],  // APPENDS without a list
            [0x80, 0x02, 0x30, 0x2E],  // POP of nothing
            [0x80, 0x02, 0x4E, 0x28, 0x30, 0x2E],  // POP below the mark
            [0x80, 0x02, 0x4E, 0x4E, 0x52, 0x2E],  // REDUCE of None
            [0x80, 0x02] + Array("ccollections\nOrderedDict\nK\u{01}R.".utf8),  // REDUCE with no tuple
        ]
        for (index, bytes) in cases.enumerated() {
            #expect(pickleError(bytes) != nil, "case \(index)")
        }
        #expect(
            pickleError(cases[0]) == .truncated("data.pkl at byte 11: a length of \(UInt64.max) bytes, only 1 left"))
        #expect(pickleError(cases[9]) == .forbiddenOpcode("INST"))
    }

    @Test("deep nesting and exponential sharing fail cleanly, without recursion or a hang")
    func nesting() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.pt"
        let depth = 200_000
        let lists: [UInt8] =
            [0x80, 0x02] + [UInt8](repeating: 0x5D, count: depth) + [UInt8](repeating: 0x61, count: depth - 1) + [0x2E]
        let tuples: [UInt8] = [0x80, 0x02, 0x4E] + [UInt8](repeating: 0x85, count: 1_000_000) + [0x2E]
        // x = (); x = (x, x) sixty times: 2^60 paths through 60 objects.
        let shared: [UInt8] =
            [0x80, 0x02, 0x29] + [UInt8](repeating: 0, count: 60).flatMap { _ in [0x32, 0x86] } + [0x2E]
        let dicts: [UInt8] =
            [0x80, 0x02] + [UInt8](repeating: 0, count: 150).flatMap { _ in [0x7D, 0x58, 1, 0, 0, 0, 0x6B] }
            + [0x4E] + [UInt8](repeating: 0x73, count: 150) + [0x2E]
        for bytes in [lists, tuples, shared, dicts] {
            _ = try unpickle(bytes)  // the machine itself builds them without recursion
            try writeTorchZip(bytes, to: path)
            guard case .malformedHeader = torchError(path) else {
                Issue.record("a pickle of \(bytes.count) bytes should be refused")
                continue
            }
        }
        let marks: [UInt8] = [0x80, 0x02] + [UInt8](repeating: 0x28, count: 100_000) + [0x2E]
        #expect(pickleError(marks) != nil)
    }

    @Test("memoised values passed again and again cannot amplify memory or time")
    func amplification() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func unicode(_ text: String) -> [UInt8] {
            let utf8 = Array(text.utf8)
            return [0x58] + (0..<4).map { UInt8(utf8.count >> (8 * $0) & 0xFF) } + utf8
        }
        // _codecs.encode(s, 'latin1') of one 100 kB string, 20 000 times.
        let encode: [UInt8] =
            [0x80, 0x02] + Array("c_codecs\nencode\n".utf8) + [0x71, 0]
            + unicode(String(repeating: "a", count: 100_000))
            + unicode("latin1") + [0x86, 0x71, 1]
            + [UInt8](repeating: 0, count: 20_000).flatMap { _ in [0x68, 0, 0x68, 1, 0x52, 0x30] } + [0x4E, 0x2E]
        guard case .malformedHeader(let why) = pickleError(encode), why.contains("building more elements") else {
            Issue.record("repeated latin-1 conversions should be refused")
            return
        }
        // A 3 kB key used at two levels: a path longer than any real tensor name.
        let key = unicode(String(repeating: "k", count: 3_000))
        let longPath: [UInt8] = [0x80, 0x02, 0x7D] + key + [0x71, 0, 0x7D, 0x68, 0, 0x7D, 0x73, 0x73, 0x2E]
        // A dict of 100 000 scalars shared 1 000 times.
        var scalars: [UInt8] = [0x80, 0x02, 0x7D, 0x71, 0, 0x28]
        for n in 0..<100_000 {
            scalars += [0x4A, UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), 0, 0x4E]
        }
        scalars += [0x75, 0x5D, 0x28]
        for _ in 0..<1_000 { scalars += [0x68, 0] }
        scalars += [0x65, 0x2E]
        let path = directory + "/model.pt"
        for (bytes, reason) in [(longPath, "path longer"), (scalars, "references")] {
            _ = try unpickle(bytes)
            try writeTorchZip(bytes, to: path)
            guard case .malformedHeader(let why) = torchError(path), why.contains(reason) else {
                Issue.record("a pickle of \(bytes.count) bytes should be refused")
                continue
            }
        }
    }
}
