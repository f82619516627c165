import Foundation
import LayerFormats
import Testing

@testable import ModelFormats

@Suite("TorchCheckpoint") struct TorchCheckpointTests {
    @Test("float32/float16/bfloat16/float64 matrices of an OrderedDict state dict equal numpy's values")
    func floatDTypes() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            rng = np.random.default_rng(7)
            state = collections.OrderedDict()
            for kind in ['f32', 'f16', 'bf16', 'f64']:
                values = rng.standard_normal((37, 11)) * 3
                values[0, :4] = [0.0, -0.0, 65504.0, 1e-7]
                state['decoder.' + kind + '.weight'] = tensor(values, kind)
                reference(kind, values, kind)
            state._metadata = collections.OrderedDict([('', dict(version=1))])
            save(state)
            """, in: directory)
        let checkpoint = try TorchCheckpoint(path: directory + "/model.pt")
        #expect(checkpoint.format == .zip)
        #expect(
            checkpoint.tensors.map(\.name) == ["f32", "f16", "bf16", "f64"].map { "decoder.\($0).weight" })
        #expect(
            checkpoint.tensors.map(\.dtype) == ["torch.float32", "torch.float16", "torch.bfloat16", "torch.float64"])
        for kind in ["f32", "f16", "bf16", "f64"] {
            let matrix = try checkpoint.matrix("decoder.\(kind).weight")
            #expect(matrix.rows == 37 && matrix.columns == 11)
            #expect(sameBits(matrix.values, try referenceValues(kind, in: directory)), "\(kind)")
            // Aligned little-endian float32 is viewed in the mapping, the rest converted.
            #expect(matrix.isMemoryMapped == (kind == "f32"))
        }
    }

    @Test("nested fairseq/Lightning dicts get dotted names; Namespace, lists and int64 tensors do not get in the way")
    func nestedDicts() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            weight = np.arange(12.0).reshape(4, 3) - 5.5
            model = collections.OrderedDict()
            model['decoder.embed_out'] = tensor(weight)
            model['decoder.version'] = tensor(np.array([3.0]))
            model['encoder.position_ids'] = tensor(np.arange(6).reshape(1, 6), 'i64')
            checkpoint = {
                'args': argparse.Namespace(arch='transformer', lr=[0.0005], share_all_embeddings=True),
                'model': model,
                'optimizer_history': [{'criterion_name': 'LabelSmoothedCrossEntropyCriterion', 'num_updates': 10}],
                'extra_state': {'epoch': 3, 'blob': b'\\x00\\xff', 'empty': b'', 'tags': {'a', 'b'}},
                'last_optimizer_state': {'state': {0: {'exp_avg': tensor(weight * 2)}}, 'param_groups': []},
            }
            save(checkpoint, name='fairseq.pt')
            save({'state_dict': {'model.lm_head.weight': tensor(weight)}, 'epoch': 1}, name='lightning.pt')
            """, in: directory)
        let fairseq = try TorchCheckpoint(path: directory + "/fairseq.pt")
        #expect(
            fairseq.tensors.map(\.name) == [
                "model.decoder.embed_out", "model.decoder.version", "model.encoder.position_ids",
                "last_optimizer_state.state.0.exp_avg",
            ])
        let expected = (0..<12).map { Float($0) - 5.5 }
        #expect(try fairseq.matrix("model.decoder.embed_out").values == expected)
        #expect(try fairseq.matrix("last_optimizer_state.state.0.exp_avg").values == expected.map { $0 * 2 })
        #expect(try fairseq.vector("model.decoder.version") == [3])
        let ids = fairseq.tensor("model.encoder.position_ids")
        #expect(ids == TensorInfo(name: "model.encoder.position_ids", dtype: "torch.int64", shape: [1, 6]))
        #expect(throws: ModelFormatError(fairseq.path, .unsupportedDType(tensor: ids!.name, dtype: "torch.int64"))) {
            try fairseq.matrix("model.encoder.position_ids")
        }
        #expect(throws: ModelFormatError(fairseq.path, .missingTensor("decoder.embed_out"))) {
            try fairseq.matrix("decoder.embed_out")
        }
        #expect(throws: ModelFormatError.self) { try fairseq.matrix("model.decoder.version") }

        let lightning = try TorchCheckpoint(path: directory + "/lightning.pt")
        #expect(lightning.tensors.map(\.name) == ["state_dict.model.lm_head.weight"])
        #expect(try lightning.matrix("state_dict.model.lm_head.weight").values == expected)
    }

    @Test("two tensors sharing one storage at different offsets; the same tensor under two names")
    func sharedStorage() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            values = np.arange(30.0).reshape(6, 5) * 0.5
            shared = storage(values)
            top = Tensor(shared, 0, (2, 5), (5, 1))
            bottom = Tensor(shared, 15, (3, 5), (5, 1), torch_size=True)
            row = Tensor(shared, 27, (3,), (1,))
            tied = Parameter(tensor(values[:2]))
            save(collections.OrderedDict([('top', top), ('bottom', bottom), ('row', row),
                                          ('embed_tokens', tied), ('output_projection', tied)]))
            # Two paths that flatten to one name: the later wins, as in a dict, at the first's place.
            save({'a.b': tensor(np.zeros((1, 2))), 'c': tensor(np.ones(1)), 'a': {'b': tensor(np.ones((2, 1)))}},
                 name='clash.pt')
            """, in: directory)
        let clash = try TorchCheckpoint(path: directory + "/clash.pt")
        #expect(clash.tensors.map(\.name) == ["a.b", "c"])
        #expect(clash.tensor("a.b")?.shape == [2, 1])
        // A view outlives its checkpoint value: the matrix keeps the mapping.
        let view = try TorchCheckpoint(path: directory + "/model.pt").matrix("bottom")
        #expect(view.isMemoryMapped && view[2, 4] == 14.5)
        let checkpoint = try TorchCheckpoint(path: directory + "/model.pt")
        let values = (0..<30).map { Float($0) * 0.5 }
        #expect(try checkpoint.matrix("top").values == Array(values[0..<10]))
        let bottom = try checkpoint.matrix("bottom")
        #expect(bottom.rows == 3 && bottom.values == Array(values[15..<30]))
        #expect(bottom.isMemoryMapped)
        #expect(try checkpoint.vector("row") == Array(values[27..<30]))
        #expect(try checkpoint.matrix("embed_tokens").values == Array(values[0..<10]))
        #expect(try checkpoint.matrix("output_projection").values == Array(values[0..<10]))
    }

    @Test("a transposed 2-D tensor (stride (1, rows)) is converted; other strides are refused by name")
    func transposed() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            values = np.arange(20.0).reshape(4, 5) - 3.25
            stored = storage(values.T.copy())  # column-major bytes of the 4 × 5 matrix
            save({'t': Tensor(stored, 0, (4, 5), (1, 4)),
                  'odd': Tensor(storage(np.zeros(40)), 0, (4, 5), (10, 2))})
            """, in: directory)
        let checkpoint = try TorchCheckpoint(path: directory + "/model.pt")
        let matrix = try checkpoint.matrix("t")
        #expect(matrix.rows == 4 && matrix.columns == 5)
        #expect(matrix.values == (0..<20).map { Float($0) - 3.25 })
        #expect(throws: ModelFormatError.self) { try checkpoint.matrix("odd") }
        do {
            _ = try checkpoint.matrix("odd")
        } catch let error as ModelFormatError {
            guard case .badTensorLayout(let name, let why) = error.kind else {
                Issue.record("\(error)")
                return
            }
            #expect(name == "odd" && why.contains("(10, 2)"))
        }
    }

    @Test("_rebuild_tensor_v3 over untyped storages: float8 is listed but not read; float32 reads")
    func rebuildV3() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            raw = Storage('u8', 'raw', np.arange(6, dtype='<f4').tobytes())
            save({'f8': TensorV3(Storage('u8', 'f8', bytes(range(12))), 0, (3, 4), (4, 1), torch.float8_e4m3fn),
                  'w': TensorV3(raw, 2, (2, 2), (2, 1), torch.float32)})
            """, in: directory)
        let checkpoint = try TorchCheckpoint(path: directory + "/model.pt")
        #expect(checkpoint.tensor("f8") == TensorInfo(name: "f8", dtype: "torch.float8_e4m3fn", shape: [3, 4]))
        #expect(
            throws: ModelFormatError(checkpoint.path, .unsupportedDType(tensor: "f8", dtype: "torch.float8_e4m3fn"))
        ) {
            try checkpoint.matrix("f8")
        }
        #expect(try checkpoint.matrix("w").values == [2, 3, 4, 5])
    }

    @Test("storages off 4-byte alignment are converted, with the same values")
    func misaligned() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            values = np.random.default_rng(3).standard_normal((9, 4))
            reference('w', values)
            save({'w': tensor(values), 'b': tensor(values[0])}, misalign_data=True)
            """, in: directory)
        let checkpoint = try TorchCheckpoint(path: directory + "/model.pt")
        let matrix = try checkpoint.matrix("w")
        let reference = try referenceValues("w", in: directory)
        #expect(!matrix.isMemoryMapped)
        #expect(sameBits(matrix.values, reference))
        #expect(sameBits(try checkpoint.vector("b"), Array(reference[0..<4])))
    }

    @Test("the legacy (pre-1.6) format: pickles then raw storages")
    func legacy() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            rng = np.random.default_rng(11)
            a, b = rng.standard_normal((5, 3)), rng.standard_normal((2, 7))
            reference('a', a)
            reference('b', b, 'f16')
            shared = storage(np.arange(8.0))
            view = StorageView(shared, 2, 5)  # elements 2..6 of the shared storage
            save_legacy({'model': collections.OrderedDict([
                ('a', tensor(a)), ('b', tensor(b, 'f16')), ('c', Tensor(shared, 4, (2, 2), (2, 1), v2=False)),
                ('d', Tensor(shared, 0, (4,), (1,))), ('e', Tensor(view, 1, (2, 2), (2, 1)))])})
            save_legacy({'w': Tensor(StorageView(shared, 2, 5), 2, (2, 2), (2, 1))}, name='view_overrun.pt')
            """, in: directory)
        let checkpoint = try TorchCheckpoint(path: directory + "/legacy.pt")
        #expect(checkpoint.format == .legacy)
        #expect(checkpoint.tensors.map(\.name) == ["model.a", "model.b", "model.c", "model.d", "model.e"])
        #expect(sameBits(try checkpoint.matrix("model.a").values, try referenceValues("a", in: directory)))
        #expect(sameBits(try checkpoint.matrix("model.b").values, try referenceValues("b", in: directory)))
        #expect(try checkpoint.matrix("model.c").values == [4, 5, 6, 7])
        #expect(try checkpoint.vector("model.d") == [0, 1, 2, 3])
        #expect(try checkpoint.matrix("model.e").values == [3, 4, 5, 6])
        // Elements 2 + 2 ... 2 + 5 lie past the 5-element view.
        guard case .badTensorLayout = torchError(directory + "/view_overrun.pt") else {
            Issue.record("a tensor past its storage view should be refused")
            return
        }
    }

    @Test("legacy files: every truncation, and a huge element count, are clean errors")
    func legacyHostile() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            save_legacy({'model': {'w': tensor(np.ones((3, 2))), 'b': tensor(np.ones(3), 'f16')}})
            data = open(os.path.join(D, 'legacy.pt'), 'rb').read()
            # The first storage's int64 element count, 8 + 6 * 4 + 8 + 3 * 2 bytes from the end.
            at = len(data) - (8 + 6 * 4 + 8 + 3 * 2)
            open(os.path.join(D, 'huge.pt'), 'wb').write(data[:at] + struct.pack('<q', 1 << 62) + data[at + 8:])
            """, in: directory)
        let path = directory + "/legacy.pt"
        let whole = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        _ = try TorchCheckpoint(path: path)
        guard case .truncated = torchError(directory + "/huge.pt") else {
            Issue.record("a storage count past the end should be refused")
            return
        }
        let cut = directory + "/cut.pt"
        for length in 1..<whole.count {
            try Data(whole[..<length]).write(to: URL(fileURLWithPath: cut))
            #expect(torchError(cut) != nil, "legacy file cut at \(length) bytes")
        }
    }

    @Test("a big-endian checkpoint, a zip without data.pkl and a plain file are refused")
    func notCheckpoints() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            save({'w': tensor(np.ones((2, 2)))}, byteorder=b'big')
            write_zip(os.path.join(D, 'other.zip'), [('folder/readme.txt', b'hello')])
            open(os.path.join(D, 'plain.pkl'), 'wb').write(pickle.dumps({'a': 1}, protocol=2))
            open(os.path.join(D, 'text.txt'), 'w').write('hello')
            """, in: directory)
        guard case .malformedHeader(let why) = torchError(directory + "/model.pt") else {
            Issue.record("a big-endian checkpoint should be refused")
            return
        }
        #expect(why.contains("big"))
        for name in ["other.zip", "plain.pkl", "text.txt"] {
            guard case .unknownFormat = torchError(directory + "/" + name) else {
                Issue.record("\(name) should not be read as a checkpoint")
                continue
            }
        }
        #expect(torchError(directory + "/missing.pt") == .missingFile)
        try Data().write(to: URL(fileURLWithPath: directory + "/empty.pt"))
        #expect(torchError(directory + "/empty.pt") == .truncated("the file is empty"))
    }

    @Test("a storage range past its member's end, or past its storage, is refused when the file opens")
    func storagePastEnd() throws {
        let directory = torchTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try torchPython(
            """
            small = storage(np.ones(6))
            small.numel = 600  # the persistent id claims more than the member holds
            save({'w': Tensor(small, 0, (2, 3), (3, 1))}, name='numel.pt')
            save({'w': Tensor(storage(np.ones(6)), 4, (2, 3), (3, 1))}, name='offset.pt')
            save({'w': Tensor(storage(np.ones(6)), 0, (2, 3), (3, 1 << 60))}, name='stride.pt')
            save({'w': Tensor(storage(np.ones(6)), 0, (1 << 40, 1 << 40), (1, 1))}, name='size.pt')
            """, in: directory)
        for name in ["numel", "offset", "stride", "size"] {
            guard case .badTensorLayout(let tensor, _) = torchError(directory + "/\(name).pt") else {
                Issue.record("\(name): a tensor outside its storage should be refused")
                continue
            }
            #expect(tensor == "w")
        }
    }
}
