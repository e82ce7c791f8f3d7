"""Wrong: mean_head_output always averages over the first axis of the head output, which for a single [L]
sequence is the position axis: it returns [d_model] instead of the sequence itself."""

import numpy as np
from toymodel import load_model


def mean_head_output(model, ref_tokens, layer, head):
    m = load_model(model)
    _, cache = m.run_with_cache(np.asarray(ref_tokens))
    out = cache[f"blocks.{layer}.attn.head_out"][..., head, :, :]  # [..., L, d_model]
    return out.mean(axis=0)  # mistake: for one [L] sequence axis 0 is the position axis


def node_zero_ablate(model, tokens, layer, head):
    m = load_model(model)

    def zero(head_out):
        head_out[..., head, :, :] = 0.0
        return head_out

    return m.run_with_hooks(np.asarray(tokens), {f"blocks.{layer}.attn.head_out": zero})


def edge_mean_ablate(model, tokens, src_layer, src_head, dst_layer, dst_head, mean_out, inputs="qkv"):
    if not src_layer < dst_layer:
        raise ValueError("the source head must be in an earlier layer than the destination head")
    if not inputs or set(inputs) - set("qkv"):
        raise ValueError("inputs must be a non-empty combination of 'q', 'k' and 'v'")
    m = load_model(model)
    tokens = np.asarray(tokens)
    _, cache = m.run_with_cache(tokens)
    src_out = cache[f"blocks.{src_layer}.attn.head_out"][..., src_head, :, :]
    resid = cache[f"blocks.{dst_layer}.resid_pre"]
    ablated = resid - src_out + np.asarray(mean_out, dtype=np.float64)  # only the dst head sees this
    weight = {"q": m.W_Q, "k": m.W_K, "v": m.W_V}
    hooks = {}
    for name in set(inputs):
        W = weight[name][dst_layer, dst_head]

        def hook(act, W=W):
            act[..., dst_head, :, :] = ablated @ W.T
            return act

        hooks[f"blocks.{dst_layer}.attn.{name}"] = hook
    return m.run_with_hooks(tokens, hooks)
