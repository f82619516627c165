#!/usr/bin/env python3
"""Writes the seed corpus of `make fuzz` (Tests/FuzzCorpus/<target>/): small valid files written by the
real libraries (numpy, safetensors, gguf, tokenizers, sentencepiece; torch's layouts by pickle and zipfile,
torch itself not being needed) plus a few broken ones. Deterministic; run from anywhere:

    python3 Tests/FuzzCorpus/make_corpus.py

Every target folder is replaced. Seeds named `broken-*` (invalid files) or `rejected-*` (valid files that are not
what the reader accepts, e.g. a 3-D array as a layer) must be rejected with an error, the others accepted
(Tests/FuzzRegressionTests checks both). Keep the whole corpus small (< 1 MB): seeds should reach every branch
of a parser, not be realistic in size.
"""
import collections
import io
import json
import os
import pickle
import shutil
import struct
import sys
import tempfile
import types
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2024)


def folder(target):
    path = os.path.join(HERE, target)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(target, name, data):
    with open(os.path.join(HERE, target, name), 'wb') as f:
        f.write(data)


def npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def npz_bytes(compressed=False, **arrays):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def layer(rows=4, columns=3, dtype='<f4'):
    return rng.uniform(-1, 1, size=(rows, columns)).astype(dtype)


def make_npy():
    folder('npy')
    write('npy', 'f32.npy', npy_bytes(layer()))
    write('npy', 'f16-fortran.npy', npy_bytes(np.asfortranarray(layer(3, 5, '<f2'))))
    write('npy', 'f64-big-endian.npy', npy_bytes(layer(2, 2, '>f8')))
    write('npy', 'rejected-i64-vector.npy', npy_bytes(np.arange(5, dtype='<i8')))
    write('npy', 'rejected-u8.npy', npy_bytes(np.frombuffer(b'hello', dtype='u1')))
    write('npy', 'rejected-scalar.npy', npy_bytes(np.float32(1.5)))
    write('npy', 'rejected-3d.npy', npy_bytes(np.zeros((2, 1, 2), dtype='<f4')))
    good = npy_bytes(layer())
    write('npy', 'broken-truncated.npy', good[:-5])
    write('npy', 'broken-header.npy', good.replace(b"'shape': (4, 3)", b"'shape': (4, -3)"))
    write('npy', 'broken-nan.npy', npy_bytes(np.array([[np.nan, 1.0]], dtype='<f4')))


def make_npz():
    folder('npz')
    w, b = layer(5, 3), rng.uniform(-1, 1, 5).astype('<f4')
    write('npz', 'w-b.npz', npz_bytes(W=w, b=b))
    write('npz', 'w-b-deflated.npz', npz_bytes(True, W=w, b=b))
    write('npz', 'decoder-wemb.npz', npz_bytes(decoder_Wemb=w.T.copy(), decoder_ff_logit_out_b=b))
    write('npz', 'single-array.npz', npz_bytes(True, arr_0=layer(2, 2, '<f2')))
    write('npz', 'rejected-empty.npz', npz_bytes())
    good = npz_bytes(True, W=w)
    write('npz', 'broken-truncated.npz', good[:len(good) // 2])
    write('npz', 'broken-central-directory.npz', good[:-22] + b'PK\x05\x06' + b'\xff' * 18)


def make_safetensors():
    from safetensors.numpy import save

    folder('safetensors')
    write('safetensors', 'f32-w-b.safetensors',
          save({'lm_head.weight': layer(4, 3), 'lm_head.bias': rng.uniform(-1, 1, 4).astype('<f4')},
               metadata={'format': 'pt'}))
    write('safetensors', 'f16-f64-i64.safetensors',
          save({'embed': layer(3, 2, '<f2'), 'scale': layer(2, 2, '<f8'), 'ids': np.arange(3, dtype='<i8')}))
    # BF16 (numpy has no bfloat16): the upper halves of float32s, header written as safetensors lays it out.
    data = (layer(2, 3).view('<u4') >> 16).astype('<u2').tobytes()
    header = json.dumps({'w': {'dtype': 'BF16', 'shape': [2, 3], 'data_offsets': [0, len(data)]}}).encode()
    header += b' ' * (-len(header) % 8)
    write('safetensors', 'bf16.safetensors', struct.pack('<Q', len(header)) + header + data)
    write('safetensors', 'broken-header-length.safetensors', struct.pack('<Q', 1 << 40) + header + data)
    bad = json.dumps({'w': {'dtype': 'F32', 'shape': [2, 3], 'data_offsets': [0, 400]}}).encode()
    write('safetensors', 'broken-offsets.safetensors', struct.pack('<Q', len(bad)) + bad + data)


def gguf_bytes(fill):
    import gguf

    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, 'model.gguf')
        writer = gguf.GGUFWriter(path, 'llama')
        fill(writer, gguf)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        with open(path, 'rb') as f:
            return f.read()


def make_gguf():
    folder('gguf')

    def floats(writer, gguf):
        writer.add_tokenizer_model('gpt2')
        writer.add_token_list(['<s>', 'Ġthe', 'hello', 'Ñģ', '\u0120world'])
        writer.add_uint32('llama.context_length', 8)
        writer.add_array('general.tags', [1.5, 2.5])
        writer.add_tensor('output.weight', layer(5, 4))
        writer.add_tensor('token_embd.weight', layer(5, 4, '<f2'))
        bf16 = (layer(2, 4).view('<u4') >> 16).astype('<u2').view(np.uint8)  # raw_shape: bytes per row
        writer.add_tensor('bf16', bf16, raw_shape=bf16.shape, raw_dtype=gguf.GGMLQuantizationType.BF16)

    def blocks32(writer, gguf):
        for kind in ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0']:
            qtype = gguf.GGMLQuantizationType[kind]
            quantized = gguf.quants.quantize(layer(2, 32), qtype)
            writer.add_tensor(kind.lower(), quantized, raw_shape=quantized.shape, raw_dtype=qtype)

    def superblocks(writer, gguf):
        # One 256-value super-block each; random bytes except for finite float16 scales is enough for a seed.
        for kind in ['Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_K']:
            qtype = gguf.GGMLQuantizationType[kind]
            size = gguf.GGML_QUANT_SIZES[qtype][1]
            raw = rng.integers(0, 256, size, dtype=np.uint8)
            writer.add_tensor(kind.lower(), raw.reshape(1, size), raw_shape=(1, size), raw_dtype=qtype)

    write('gguf', 'floats-tokens.gguf', gguf_bytes(floats))
    write('gguf', 'blocks32.gguf', gguf_bytes(blocks32))
    write('gguf', 'k-quants.gguf', gguf_bytes(superblocks))
    good = gguf_bytes(floats)
    write('gguf', 'broken-truncated.gguf', good[:len(good) * 2 // 3])
    write('gguf', 'broken-tensor-count.gguf', good[:8] + struct.pack('<Q', 1 << 60) + good[16:])


# torch.save's layouts without torch: module stand-ins whose classes carry torch's names, so pickle
# writes the same GLOBALs torch does, and torch's persistent ids for the storages.
torch = types.ModuleType('torch')
torch._utils = types.ModuleType('torch._utils')
sys.modules.update({'torch': torch, 'torch._utils': torch._utils})


def _named(module, name, value):
    value.__module__, value.__qualname__, value.__name__ = module.__name__, name, name
    setattr(module, name, value)
    return value


for _name in ['FloatStorage', 'HalfStorage', 'LongStorage']:
    _named(torch, _name, type(_name, (), {}))
_named(torch._utils, '_rebuild_tensor_v2', lambda *args: None)


class Storage:
    def __init__(self, cls, key, data, size):
        self.cls, self.key, self.data, self.numel = cls, key, data, len(data) // size


class Tensor:
    def __init__(self, storage, shape):
        self.storage, self.shape = storage, tuple(shape)

    def __reduce_ex__(self, protocol):
        strides = tuple(int(np.prod(self.shape[i + 1:])) for i in range(len(self.shape)))
        return (torch._utils._rebuild_tensor_v2,
                (self.storage, 0, self.shape, strides, False, collections.OrderedDict()))


def state_dict():
    w, b = layer(4, 3), rng.uniform(-1, 1, 4).astype('<f4')
    return collections.OrderedDict([
        ('lm_head.weight', Tensor(Storage(torch.FloatStorage, '0', w.tobytes(), 4), w.shape)),
        ('lm_head.bias', Tensor(Storage(torch.FloatStorage, '1', b.tobytes(), 4), b.shape)),
        ('embed', Tensor(Storage(torch.HalfStorage, '2', layer(2, 3, '<f2').tobytes(), 2), (2, 3))),
        ('step', 7), ('names', ['a', 'b']),
    ])


def pickled(obj, legacy):
    storages = {}

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                storages[obj.key] = obj
                return ('storage', obj.cls, obj.key, 'cpu', obj.numel) + ((None,) if legacy else ())
            return None

    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue(), storages


def make_pickle():
    """torch.save before 1.6: magic, protocol version, sys info, the object, the keys, then the storages."""
    folder('pickle')
    buffer = io.BytesIO()
    for header in [0x1950a86a20f9469cfc6c, 1001,
                   dict(protocol_version=1001, little_endian=True, type_sizes=dict(short=2, int=4, long=4))]:
        pickle.dump(header, buffer, protocol=2)
    data, storages = pickled(state_dict(), legacy=True)
    buffer.write(data)
    keys = sorted(storages)
    pickle.dump(keys, buffer, protocol=2)
    for key in keys:
        buffer.write(struct.pack('<q', storages[key].numel) + storages[key].data)
    good = buffer.getvalue()
    write('pickle', 'legacy.pt', good)
    write('pickle', 'broken-truncated.pt', good[:len(good) // 2])
    write('pickle', 'broken-storage-size.pt', good[:-(len(storages['2'].data) + 8)] + struct.pack('<q', 1 << 40))


def torch_zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_STORED) as archive:
        for name, data in members:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data)
    return buffer.getvalue()


def make_torchzip():
    folder('torchzip')
    for protocol_name, obj in [('state-dict', state_dict()),
                               ('nested', {'model': state_dict(), 'epoch': 3, 'lr': 0.5, 'flag': True})]:
        data, storages = pickled(obj, legacy=False)
        members = [('archive/data.pkl', data), ('archive/byteorder', b'little')]
        members += [('archive/data/' + key, s.data) for key, s in sorted(storages.items())]
        members.append(('archive/version', b'3\n'))
        write('torchzip', protocol_name + '.bin', torch_zip(members))
    data, storages = pickled(state_dict(), legacy=False)
    write('torchzip', 'broken-missing-storage.bin', torch_zip([('archive/data.pkl', data)]))
    write('torchzip', 'broken-pickle.bin', torch_zip([('archive/data.pkl', data[:len(data) // 2])]))


def make_vocabularies():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers

    folder('tokenizer')
    bpe = Tokenizer(models.BPE(vocab={'a': 0, 'b': 1, 'Ġ': 2, 'ab': 3, 'Ġab': 4, 'Ã©': 5},
                               merges=[('a', 'b'), ('Ġ', 'ab')]))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel()
    bpe.decoder = decoders.ByteLevel()
    bpe.add_special_tokens(['<|endoftext|>'])
    write('tokenizer', 'bpe.json', bpe.to_str().encode())
    wordpiece = Tokenizer(models.WordPiece(vocab={'[UNK]': 0, 'hello': 1, '##lo': 2, 'über': 3}, unk_token='[UNK]'))
    wordpiece.decoder = decoders.WordPiece()
    write('tokenizer', 'wordpiece.json', wordpiece.to_str().encode())
    unigram = Tokenizer(models.Unigram([('<unk>', 0.0), ('▁the', -1.5), ('s', -2.0), ('▁Ж', -3.0)], 0))
    unigram.decoder = decoders.Metaspace()
    write('tokenizer', 'unigram.json', unigram.to_str().encode())
    write('tokenizer', 'broken-ids.json', b'{"model": {"type": "BPE", "vocab": {"a": 5, "b": -1}}}')
    write('tokenizer', 'broken-deep.json', b'{"model": ' + b'[' * 300 + b']' * 300 + b'}')

    folder('vocabjson')
    write('vocabjson', 'gpt2.json', json.dumps({'!': 0, 'Ġthe': 1, 'Ã©': 2, '<|endoftext|>': 3}).encode())
    write('vocabjson', 'escapes.json', b'{"\\u00e9\\ud83d\\ude00": 1, "\\n": 0}')
    write('vocabjson', 'broken-gap.json', b'{"a": 0, "b": 2}')
    write('vocabjson', 'broken-surrogate.json', b'{"\\ud800": 0}')

    folder('vocabtxt')
    write('vocabtxt', 'bert.txt', '[PAD]\n[UNK]\nhello\n##lo\nüber\n'.encode())
    write('vocabtxt', 'crlf.txt', b'a\r\nb\r\n\r\n')
    write('vocabtxt', 'broken-utf8.txt', b'a\n\xff\xfe\n')

    folder('sentencepiece')
    import sentencepiece as spm
    lines = ['the quick brown fox jumps over the lazy dog'] * 20 + ['Жук ест сыр'] * 5
    for kind in ['unigram', 'bpe']:
        # From an iterator into memory: no temporary paths end up in the model's trainer_spec.
        model = io.BytesIO()
        spm.SentencePieceTrainer.train(sentence_iterator=iter(lines), model_writer=model, vocab_size=39,
                                       model_type=kind, minloglevel=2, character_coverage=1.0,
                                       normalization_rule_name='identity', num_threads=1)
        write('sentencepiece', kind + '.model', model.getvalue())
    write('sentencepiece', 'tiktoken-text.model', b'IQ== 0\nIg== 1\naGVsbG8= 2\n')
    write('sentencepiece', 'broken-varint.model', b'\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01')

    folder('tiktoken')
    write('tiktoken', 'ranks.tiktoken', b'IQ== 0\nIg== 1\nIyQ= 2\n4pyT 3\n')
    write('tiktoken', 'broken-base64.tiktoken', b'IQ== 0\n!!!! 1\n')

    folder('marian')
    write('marian', 'vocab.yml', '</s>: 0\n<unk>: 1\n▁the: 2\n"a: b": 3\n\'it\'\'s\': 4\n"\\u00e9": 5\n'.encode())
    write('marian', 'broken-duplicate.yml', b'a: 0\nb: 0\n')


def make_json():
    folder('config')
    write('config', 'bert.json', json.dumps({
        'model_type': 'bert', 'architectures': ['BertForMaskedLM'], 'vocab_size': 30522, 'hidden_size': 768,
        'tie_word_embeddings': True}).encode())
    write('config', 'gpt2.json', json.dumps({'model_type': 'gpt2', 'n_embd': 64, 'vocab_size': 50257}).encode())
    write('config', 'marian.json', json.dumps({'model_type': 'marian', 'd_model': 512, 'vocab_size': 1.5e3}).encode())
    write('config', 'wrong-types.json', b'{"vocab_size": "many", "architectures": 3}')

    folder('shardindex')
    shard = 'model-00001-of-00001.safetensors'  # the shard the fuzz target writes next to the index
    write('shardindex', 'index.json', json.dumps({
        'metadata': {'total_size': 32}, 'weight_map': {'lm_head.weight': shard, 'bias': shard}}).encode())
    write('shardindex', 'broken-missing-tensor.json', json.dumps({'weight_map': {'other': shard}}).encode())
    write('shardindex', 'broken-path.json', json.dumps({'weight_map': {'w': '../x.safetensors'}}).encode())


def make_results():
    """Certificates (JSON, npz) and a journal of the fuzz targets' fixed layer: the unit vectors of the plane
    and the origin (class 4, unargmaxable: the average of the others); journals carry the digest "fuzz"."""
    witness = {'index': 0, 'witness': [1.0, 0.0]}
    average = {'index': 4, 'multipliers': {'indices': [0, 1, 2, 3], 'weights': [0.25] * 4, 'exact': ['1/4'] * 4}}
    box = {'kind': 'box', 'radius': 100.0}

    def certificates(domain, bias, classes):
        return json.dumps({'schema': 'unargmaxable.certificates/1', 'generator': 'make_corpus.py', 'domain': domain,
                           'bias': bias, 'classes': classes}).encode()

    folder('certjson')
    write('certjson', 'witness-multipliers.json', certificates(box, False, [witness, average]))
    write('certjson', 'bounds-bias.json', certificates(
        {'kind': 'bounds', 'lower': [-1.0, -1.0], 'upper': [1.0, 1.0]}, True, [{'index': 1, 'witness': [0.0, 1.0]}]))
    # Read fine; verification then finds the witness proves nothing (not an error of the reader).
    write('certjson', 'unbounded-false-witness.json', certificates(
        {'kind': 'unbounded'}, False, [{'index': 4, 'witness': [0.0, 0.0]}, {'index': 9, 'witness': [1.0]}]))
    write('certjson', 'broken-schema.json', b'{"schema": "unargmaxable.certificates/9", "classes": []}')
    write('certjson', 'broken-bounds.json', certificates(
        {'kind': 'bounds', 'lower': [1.0, 0.0], 'upper': [0.0, 1.0]}, False, [witness]))
    write('certjson', 'broken-truncated.json', certificates(box, False, [witness, average])[:-20])

    def archive(witness_dtype, offsets=(0, 4), meta=None):
        meta = meta if meta is not None else json.dumps({
            'schema': 'unargmaxable.certificates/2', 'generator': 'make_corpus.py', 'domain': box, 'bias': False,
            'classes': 5, 'dimension': 2}).encode()
        return npz_bytes(
            meta=np.frombuffer(meta, dtype='u1'), witness_classes=np.array([0, 1], dtype='<i8'),
            witnesses=np.array([[1, 0], [0, 1]], dtype=witness_dtype),
            multiplier_classes=np.array([4], dtype='<i8'), multiplier_offsets=np.array(offsets, dtype='<i8'),
            multiplier_indices=np.array([0, 1, 2, 3], dtype='<i8'), multiplier_weights=np.full(4, 0.25),
            multiplier_exact=np.frombuffer(b'1/4\n' * 4, dtype='u1'))

    folder('certnpz')
    write('certnpz', 'float32.npz', archive('<f4'))
    write('certnpz', 'float64.npz', archive('<f8'))
    write('certnpz', 'broken-offsets.npz', archive('<f4', offsets=(0, 3)))
    write('certnpz', 'broken-meta.npz', archive('<f4', meta=b'{"schema": '))
    write('certnpz', 'broken-truncated.npz', archive('<f4')[:300])

    header = json.dumps({'schema': 'unargmaxable.journal/1', 'digest': 'fuzz', 'options': {'box': 100.0},
                         'shard': None}) + '\n'

    def line(index, lower, upper, stage, certificate):
        return json.dumps({'index': index, 'steps': 1, 'margin': {'lower': lower, 'upper': upper}, 'stage': stage,
                           'certificate': certificate}) + '\n'

    first = line(0, 0.5, 2.0, 'approximate', {'witness': [1.0, 0.0]}) + '{"chunk": 1, "classes": 1}\n'
    second = line(4, -1.0, 0.0, 'exact', {'multipliers': average['multipliers']}) + '{"chunk": 2, "classes": 1}\n'
    folder('journal')
    write('journal', 'two-chunks.journal', (header + first + second + line(2, 0.5, 1.0, 'approximate', None)).encode())
    write('journal', 'header-only.journal', header.encode())
    write('journal', 'broken-digest.journal', (header.replace('"fuzz"', '"other"') + first).encode())
    write('journal', 'broken-line.journal', (header + '{"index": 0, \n{"chunk": 1, "classes": 1}\n').encode())
    forged = line(2, 0.5, 2.0, 'approximate', {'witness': [1.0, 0.0]}) + '{"chunk": 1, "classes": 1}\n'
    write('journal', 'broken-forged-witness.journal', (header + forged).encode())


if __name__ == '__main__':
    make_npy()
    make_npz()
    make_safetensors()
    make_gguf()
    make_pickle()
    make_torchzip()
    make_vocabularies()
    make_json()
    make_results()
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(HERE) for f in fs if d != HERE)
    print(f'corpus: {total} bytes')
