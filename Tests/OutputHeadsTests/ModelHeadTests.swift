import Foundation
import LayerFormats
import ModelFormats
import Testing

@testable import OutputHeads

/// The rows × columns matrix W[i, j] = (i − 0.25 j) / 8 written by numpy: exact in every float type.
private let reference = "(np.arange(R)[:, None] - 0.25 * np.arange(C)[None, :]) / 8"

private func expectReference(_ matrix: FloatMatrix, rows: Int, columns: Int) {
    #expect(matrix.rows == rows && matrix.columns == columns)
    for i in [0, rows / 2, rows - 1] {
        for j in [0, columns - 1] { #expect(matrix[i, j] == (Float(i) - 0.25 * Float(j)) / 8) }
    }
}

@Suite("Finding the output layer")
struct ModelHeadTests {
    @Test(
        "each family's head and bias, from folders written by safetensors",
        arguments: [
            // (tensors in the file, config fields, expected head, expected bias)
            (
                "{'lm_head.weight': W, 'model.embed_tokens.weight': W + 1}", #""tie_word_embeddings": false"#,
                "lm_head.weight", nil
            ),
            ("{'model.embed_tokens.weight': W}", #""tie_word_embeddings": true"#, "model.embed_tokens.weight", nil),
            (
                "{'transformer.wte.weight': W, 'transformer.wpe.weight': W[:5]}", #""model_type": "gpt2""#,
                "transformer.wte.weight", nil
            ),
            (
                "{'bert.embeddings.word_embeddings.weight': W, 'cls.predictions.bias': b,"
                    + " 'cls.seq_relationship.weight': W[:2], 'cls.seq_relationship.bias': b[:2]}",
                #""architectures": ["BertForPreTraining"]"#, "bert.embeddings.word_embeddings.weight",
                "cls.predictions.bias"
            ),
            (
                "{'model.shared.weight': W, 'final_logits_bias': b[None, :]}", #""model_type": "marian""#,
                "model.shared.weight", "final_logits_bias"
            ),
            (
                "{'roberta.embeddings.word_embeddings.weight': W, 'lm_head.decoder.weight': W, 'lm_head.bias': b}",
                #""model_type": "roberta""#, "lm_head.decoder.weight", "lm_head.bias"
            ),
            (
                "{'gpt_neox.embed_in.weight': W, 'embed_out.weight': W}", #""model_type": "gpt_neox""#,
                "embed_out.weight", nil
            ),
        ] as [(String, String, String, String?)])
    func families(tensors: String, config: String, head: String, bias: String?) throws {
        try withTemporaryDirectory { dir in
            try writeConfig(dir, "{\(config)}")
            try python(
                """
                R, C = 40, 6
                W = (\(reference)).astype(np.float32)
                b = (np.arange(R) / 4).astype(np.float32)
                save_file(\(tensors), '\(dir)/model.safetensors')
                """)
            let found = try ModelHead.load(path: dir)
            #expect(found.weightName == head)
            #expect(found.biasName == bias)
            expectReference(found.arrays.weights, rows: 40, columns: 6)
            if bias != nil { #expect(found.arrays.bias == (0..<40).map { Float($0) / 4 }) }
            #expect(!found.reasons.isEmpty)
        }
    }

    @Test("F16, BF16 and F64 heads convert exactly; F32 is used in place")
    func dtypes() throws {
        try withTemporaryDirectory { dir in
            for (dtype, stored) in [("float16", "F16"), ("float64", "F64"), ("float32", "F32")] {
                let path = "\(dir)/\(dtype).safetensors"
                try python(
                    """
                    R, C = 33, 7
                    save_file({'lm_head.weight': (\(reference)).astype(np.\(dtype))}, '\(path)')
                    """)
                let file = try SafetensorsFile(path: path)
                #expect(file.tensors.first?.dtype == stored)
                let matrix = try file.matrix("lm_head.weight")
                expectReference(matrix, rows: 33, columns: 7)
                if dtype == "float32" { #expect(matrix.isMemoryMapped) }
            }
            // safetensors.numpy has no bfloat16: write the upper halves of float32 and relabel them.
            let path = "\(dir)/bf16.safetensors"
            try python(
                """
                R, C = 33, 7
                w = (\(reference)).astype(np.float32)
                save_file({'lm_head.weight': (w.view(np.uint32) >> 16).astype(np.uint16)}, '\(path)')
                data = open('\(path)', 'rb').read()
                n = int.from_bytes(data[:8], 'little')
                header = data[8:8 + n].replace(b'"U16"', b'"BF16"')
                open('\(path)', 'wb').write(len(header).to_bytes(8, 'little') + header + data[8 + n:])
                """)
            expectReference(try SafetensorsFile(path: path).matrix("lm_head.weight"), rows: 33, columns: 7)
        }
    }

    @Test("sharded checkpoints through model.safetensors.index.json")
    func sharded() throws {
        try withTemporaryDirectory { dir in
            try writeConfig(dir, #"{"tie_word_embeddings": false}"#)
            try python(
                """
                R, C = 50, 4
                W = (\(reference)).astype(np.float32)
                save_file({'model.embed_tokens.weight': W + 1}, '\(dir)/model-00001-of-00002.safetensors')
                save_file({'lm_head.weight': W}, '\(dir)/model-00002-of-00002.safetensors')
                json.dump({'metadata': {}, 'weight_map': {
                    'model.embed_tokens.weight': 'model-00001-of-00002.safetensors',
                    'lm_head.weight': 'model-00002-of-00002.safetensors'}},
                    open('\(dir)/model.safetensors.index.json', 'w'))
                """)
            let found = try ModelHead.load(path: dir)
            #expect(found.weightName == "lm_head.weight")
            #expect(found.tensors.count == 2)
            expectReference(found.arrays.weights, rows: 50, columns: 4)
        }
    }

    @Test("an encoder-only checkpoint: the tied embeddings without bias, and the output says so")
    func encoderOnly() throws {
        try withTemporaryDirectory { dir in
            try writeConfig(dir, #"{"architectures": ["BertModel"], "vocab_size": 30}"#)
            try python(
                """
                R, C = 30, 5
                W = (\(reference)).astype(np.float32)
                save_file({'embeddings.word_embeddings.weight': W, 'pooler.dense.weight': W[:5],
                           'pooler.dense.bias': W[:, 0].copy()}, '\(dir)/model.safetensors')
                """)
            let found = try ModelHead.load(path: dir)
            #expect(found.weightName == "embeddings.word_embeddings.weight")
            #expect(found.biasName == nil && found.arrays.bias == nil)
            #expect(found.warnings.contains { $0.contains("encoder-only") })
        }
    }

    @Test("--weights and --bias override the rules; an unknown name is a clear error")
    func overrides() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                R, C = 12, 3
                W = (\(reference)).astype(np.float32)
                save_file({'lm_head.weight': W, 'other.weight': W + 1, 'other.b': np.ones(12, np.float32)},
                          '\(dir)/model.safetensors')
                """)
            let found = try ModelHead.load(
                path: dir + "/model.safetensors", selection: HeadSelection(weights: "other.weight", bias: "other.b"))
            #expect(found.weightName == "other.weight" && found.arrays.bias == Array(repeating: 1, count: 12))
            #expect(found.arrays.weights[0, 0] == 1)
            #expect(throws: ModelHeadError.self) {
                try ModelHead.load(path: dir, selection: HeadSelection(weights: "nope.weight"))
            }
            let noBias = try ModelHead.load(path: dir, selection: HeadSelection(bias: nil, noBias: true))
            #expect(noBias.arrays.bias == nil)
        }
    }

    @Test("a vocabulary of another size than the head is reported, not zipped")
    func vocabularyMismatch() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                R, C = 8, 3
                save_file({'lm_head.weight': (\(reference)).astype(np.float32)}, '\(dir)/model.safetensors')
                open('\(dir)/vocab.txt', 'w').write('\\n'.join(f't{i}' for i in range(6)) + '\\n')
                """)
            let found = try ModelHead.load(path: dir)
            #expect(found.vocabulary?.count == 6)
            #expect(found.warnings.contains { $0.contains("6 tokens") && $0.contains("8 classes") })
        }
    }
}

@Suite("Which vocabulary names the classes")
struct VocabularyChoiceTests {
    @Test("Marian-style folders: the id map vocab.json, not the source-side SentencePiece model")
    func marianFolder() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                save_file({'model.shared.weight': np.ones((3, 2), np.float32)}, '\(dir)/model.safetensors')
                json.dump({'<pad>': 0, '▁hello': 1, '▁мир': 2}, open('\(dir)/vocab.json', 'w'))
                open('\(dir)/source.spm', 'wb').write(b'not the output vocabulary')
                """)
            let found = try ModelHead.load(path: dir)
            #expect(found.vocabulary?.tokens == ["<pad>", "▁hello", "▁мир"])
            #expect(found.vocabulary?.source.hasSuffix("vocab.json") == true)
            #expect(found.warnings.isEmpty)
        }
    }
}
