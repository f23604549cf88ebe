"""The attention of the mixture of transformers, in one place: the block-causal mask, token positions, RoPE,
and one layer of the joint stream.

Tokens are [prefix (images + instruction [+ environment state]) | suffix (state + noisy action chunk)]. The
prefix is bidirectional and blind to the suffix; the suffix sees the prefix and itself. Prefix padding (short
instructions, dropped camera views) is never attended to. Because the prefix never looks at the suffix, its
keys and values do not depend on the suffix: inference computes them once (one `LayerKV` per layer) and reuses
them for every denoising step, which gives exactly the training-time result
(tests/model/test_policy.py::test_cached_prefix_gives_the_joint_forward_result).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F


def block_causal_mask(prefix_valid: torch.Tensor, suffix_len: int) -> torch.Tensor:
    """[B, 1, Lp + Ls, Lp + Ls] bool, True where a query token (row) may attend to a key token (column)."""
    b, lp = prefix_valid.shape
    keys = torch.cat([prefix_valid, prefix_valid.new_ones(b, suffix_len)], dim=1)  # [B, L]
    is_suffix_key = torch.arange(lp + suffix_len, device=prefix_valid.device) >= lp
    prefix_rows = keys & ~is_suffix_key  # prefix queries: valid prefix keys only
    rows = torch.cat([prefix_rows[:, None].expand(b, lp, -1), keys[:, None].expand(b, suffix_len, -1)], dim=1)
    return rows[:, None]


def positions(prefix_valid: torch.Tensor, suffix_len: int) -> tuple[torch.Tensor, torch.Tensor]:
    """RoPE positions: valid prefix tokens count 0, 1, 2…; the suffix continues after the last valid one."""
    prefix_pos = (prefix_valid.long().cumsum(dim=1) - 1).clamp(min=0)
    start = prefix_valid.long().sum(dim=1, keepdim=True)
    suffix_pos = start + torch.arange(suffix_len, device=prefix_valid.device)
    return prefix_pos, suffix_pos


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, H, L, hd]; cos/sin [B, L, hd] (the halves layout transformers uses)."""
    cos, sin = cos[:, None], sin[:, None]
    x1, x2 = x.chunk(2, dim=-1)
    return x * cos + torch.cat([-x2, x1], dim=-1) * sin


@dataclass
class LayerKV:
    k: torch.Tensor  # [B, kv_heads, Lp, hd], RoPE applied
    v: torch.Tensor


def _heads(x: torch.Tensor, n: int) -> torch.Tensor:
    b, length, _ = x.shape
    return x.view(b, length, n, -1).transpose(1, 2)


def _prefix_qkv(layer: nn.Module, h: torch.Tensor, heads: int, kv_heads: int, queries: bool = True):
    """Queries (None when not `queries`), keys and values of the prefix, by the backbone layer's own weights."""
    attn = layer.self_attn
    x = layer.input_layernorm(h)
    q = _heads(attn.q_proj(x), heads) if queries else None
    k, v = _heads(attn.k_proj(x), kv_heads), _heads(attn.v_proj(x), kv_heads)
    if hasattr(attn, "q_norm"):  # families with per-head q/k norms (Qwen3, Gemma3)
        q, k = attn.q_norm(q) if queries else None, attn.k_norm(k)
    return q, k, v


def _prefix_out(layer: nn.Module, h: torch.Tensor, attended: torch.Tensor) -> torch.Tensor:
    h = h + layer.self_attn.o_proj(attended)
    return h + layer.mlp(layer.post_attention_layernorm(h))


def joint_layer(
    vlm_layer: nn.Module,
    expert_layer: nn.Module,
    prefix: torch.Tensor | None,
    suffix: torch.Tensor | None,
    cond: torch.Tensor | None,
    mask: torch.Tensor,
    rope: tuple[tuple[torch.Tensor, torch.Tensor] | None, tuple[torch.Tensor, torch.Tensor] | None],
    shape,
    past: LayerKV | None = None,
    prefix_keys_only: bool = False,
) -> tuple[torch.Tensor | None, torch.Tensor | None, LayerKV | None]:
    """One layer of the joint stream. Either stream may be absent: prefix only (building the cache), suffix only
    (denoising against `past`, the cached prefix keys/values), or both (training). Each stream uses its own
    weights; queries, keys and values are concatenated so both attend in one softmax under `mask`.

    `prefix_keys_only` (the last layer): nothing reads the prefix's outputs there, so the prefix only lends its
    keys/values; its queries, attention output and MLP are skipped (and those weights are frozen, see
    `Backbone.unreachable`)."""
    qs, ks, vs, kv, gate = [], [], [], None, None
    if prefix is not None:
        q, k, v = _prefix_qkv(vlm_layer, prefix, shape.heads, shape.kv_heads, queries=not prefix_keys_only)
        cos, sin = rope[0]
        k = apply_rope(k, cos, sin)
        kv = LayerKV(k, v)
        ks.append(k), vs.append(v)
        if prefix_keys_only:
            if suffix is None:
                return None, None, kv
            mask = mask[:, :, prefix.shape[1] :]
        else:
            qs.append(apply_rope(q, cos, sin))
    elif past is not None:
        ks.append(past.k), vs.append(past.v)
    if suffix is not None:
        q, k, v, gate = expert_layer.qkv(suffix, cond)
        cos, sin = rope[1]
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        qs.append(q), ks.append(k), vs.append(v)
    q, k, v = torch.cat(qs, dim=2), torch.cat(ks, dim=2), torch.cat(vs, dim=2)
    scale = vlm_layer.self_attn.scaling  # one softmax for both streams: the backbone's scale
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale, enable_gqa=True)
    out = out.transpose(1, 2).flatten(2)  # [B, Lq, heads·hd]
    n_prefix = prefix.shape[1] if prefix is not None and not prefix_keys_only else 0
    new_prefix = _prefix_out(vlm_layer, prefix, out[:, :n_prefix]) if n_prefix else None
    new_suffix = expert_layer.out(suffix, out[:, n_prefix:], gate, cond) if suffix is not None else None
    return new_prefix, new_suffix, kv
