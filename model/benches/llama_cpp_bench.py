#!/usr/bin/env python3
"""llama.cpp side of `ioc bench model`, for docs/benchmarks/model.md.

Runs the same GGUF on the same prompt as `model::bench::run`: the prompt is prefilled from an
empty cache, then 128 tokens are generated greedily (argmax, one token per eval). Prints one
JSON object with the same fields, plus "engine".

    python3 -m venv /tmp/llama-venv
    CMAKE_ARGS="-DGGML_NATIVE=ON" /tmp/llama-venv/bin/pip install llama-cpp-python==0.3.36
    cargo run -p model --release --example bench -- --print-prompt > /tmp/prompt.txt
    /tmp/llama-venv/bin/python model/benches/llama_cpp_bench.py MODEL.gguf THREADS /tmp/prompt.txt
"""
import json
import os
import resource
import sys
import time

import numpy as np
from llama_cpp import Llama

GEN_TOKENS = 128


def main() -> None:
    path, threads, prompt_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(prompt_file, encoding="utf-8") as f:
        text = f.read()
    t0 = time.perf_counter()
    llm = Llama(model_path=path, n_ctx=2048, n_threads=threads, n_threads_batch=threads,
                n_batch=512, verbose=False)
    load_s = time.perf_counter() - t0
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
    n_vocab = llm.n_vocab()
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(tokens)
    prefill_s = time.perf_counter() - t0
    generated = []
    t0 = time.perf_counter()
    for i in range(GEN_TOKENS):
        logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,))
        nxt = int(np.argmax(logits))
        generated.append(nxt)
        if i + 1 < GEN_TOKENS:
            llm.eval([nxt])
    gen_s = time.perf_counter() - t0
    print(json.dumps({
        "model": os.path.basename(path),
        "engine": "llama.cpp",
        "threads": threads,
        "load_s": round(load_s, 3),
        "prompt_tokens": len(tokens),
        "prefill_tok_s": round(len(tokens) / prefill_s, 3),
        "gen_tokens": len(generated),
        "gen_tok_s": round((len(generated) - 1) / gen_s, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
