"""`unargmax check org/name` against a local stand-in for the Hugging Face Hub (Tests/ModelHubTests/
hub_server.py, on 127.0.0.1 only): the same report as the local folder, only the head's bytes fetched,
the cache reused offline, clear errors for missing and gated models."""
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from safetensors.numpy import save_file

SERVER = os.path.join(os.path.dirname(__file__), "../ModelHubTests/hub_server.py")
BINARY = os.environ.get("UNARGMAX", os.path.join(os.path.dirname(__file__), "../../.build/debug/unargmax"))


@pytest.fixture
def hub(tmp_path):
    root = tmp_path / "hub"
    repo = root / "lab" / "tiny-lm"
    repo.mkdir(parents=True)
    (repo / ".commit").write_text("0123456789abcdef0123456789abcdef01234567")
    rng = np.random.default_rng(9)
    W = rng.standard_normal((300, 8)).astype(np.float32)
    W[:7] *= 0.2
    tensors = {"lm_head.weight": W, "lm_head.bias": (0.1 * rng.standard_normal(300)).astype(np.float32),
               "model.layers.0.mlp.weight": rng.standard_normal((1024, 1024)).astype(np.float32)}  # 4 MB decoy
    save_file(tensors, str(repo / "model.safetensors"))
    (repo / "config.json").write_text(json.dumps({"tie_word_embeddings": False, "vocab_size": 300}))
    (repo / "vocab.txt").write_text("".join(f"tok{i}\n" for i in range(300)))
    log = tmp_path / "log.jsonl"
    proc = subprocess.Popen([sys.executable, SERVER, str(root), str(log), "secret"], stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline())
    yield {"endpoint": f"http://127.0.0.1:{port}", "repo": repo, "log": log, "cache": tmp_path / "cache"}
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def run(hub, *args, offline=False):
    env = dict(os.environ, HF_ENDPOINT=hub["endpoint"], HF_HUB_CACHE=str(hub["cache"]))
    env.pop("HF_TOKEN", None)
    if offline:
        env["HF_HUB_OFFLINE"] = "1"
    return subprocess.run([BINARY, *map(str, args)], capture_output=True, text=True, env=env, timeout=120)


def served_bytes(log):
    return sum(json.loads(line)["bytes"] for line in log.read_text().splitlines()) if log.exists() else 0


def test_model_id_fetches_only_the_head_and_matches_the_local_folder(hub):
    remote = run(hub, "check", "lab/tiny-lm", "--format", "json", "--quiet")
    assert remote.returncode == 0, remote.stderr
    local = run(hub, "check", hub["repo"], "--format", "json", "--quiet")
    strip = lambda r: [(c["index"], c["token"], c["verdict"]) for c in json.loads(r.stdout)["classes"]]
    assert strip(remote) == strip(local)
    assert json.loads(remote.stdout)["layer"]["bias_tensor"] == "lm_head.bias"
    assert served_bytes(hub["log"]) < 100_000  # the file is over 4 MB; the head and bias are 10.8 KB
    hub["log"].write_text("")
    again = run(hub, "check", "lab/tiny-lm", "--format", "json", "--quiet", offline=True)
    assert again.returncode == 0 and strip(again) == strip(local)
    assert served_bytes(hub["log"]) == 0


def test_missing_and_gated_models_fail_clearly(hub):
    missing = run(hub, "check", "lab/no-such-model", "--quiet")
    assert missing.returncode != 0 and "lab/no-such-model" in missing.stderr and "Traceback" not in missing.stderr
    (hub["repo"] / ".gated").write_text("")
    gated = run(hub, "check", "lab/tiny-lm", "--quiet")
    assert gated.returncode != 0 and "HF_TOKEN" in gated.stderr
    offline = run(hub, "check", "lab/other", "--quiet", offline=True)
    assert offline.returncode != 0 and "offline" in offline.stderr.lower()
