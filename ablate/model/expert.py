"""The action expert: as deep as the backbone's language model, narrower, with the same attention heads and
head size so its queries, keys and values join the backbone's in one attention (`attention.joint_layer`).

Time conditioning (`model.expert.time_conditioning`):
- `adarms`: adaptive RMSNorm — the flow time's embedding gives each norm a scale, shift and residual gate
  (zero-initialised, so training starts from plain RMSNorm), as in pi0.5;
- `concat`: the time embedding is concatenated to each noisy action and mixed by an MLP, as in pi0; the norms
  are plain RMSNorm.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from ablate.model.attention import joint_layer
from ablate.model.backbone import LayerShape


def time_embedding(t: torch.Tensor, dim: int, min_period: float = 4e-3, max_period: float = 4.0) -> torch.Tensor:
    """Sine–cosine embedding of flow times t ∈ [0, 1] ([B] → [B, dim]), periods from min to max as in pi0."""
    fraction = torch.linspace(0.0, 1.0, dim // 2, device=t.device, dtype=torch.float32)
    period = min_period * (max_period / min_period) ** fraction
    angle = 2 * math.pi * t.float()[:, None] / period[None]
    return torch.cat([angle.sin(), angle.cos()], dim=-1)


class ConditionedRMSNorm(nn.Module):
    """RMSNorm; with a condition, (1 + scale)·norm(x) + shift and a gate for the residual branch."""

    def __init__(self, width: int, cond_dim: int | None, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(width))
        self.eps = eps
        self.modulation = nn.Linear(cond_dim, 3 * width) if cond_dim else None
        if self.modulation is not None:
            nn.init.zeros_(self.modulation.weight)
            nn.init.zeros_(self.modulation.bias)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        normed = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight
        if self.modulation is None or cond is None:
            return normed, None
        scale, shift, gate = self.modulation(cond)[:, None].chunk(3, dim=-1)  # [B, 1, width] each
        return normed * (1 + scale) + shift, 1 + gate


class ExpertLayer(nn.Module):
    def __init__(self, width: int, ffn: int, shape: LayerShape, cond_dim: int | None):
        super().__init__()
        self.shape = shape
        hd = shape.head_dim
        self.norm1 = ConditionedRMSNorm(width, cond_dim)
        self.q_proj = nn.Linear(width, shape.heads * hd, bias=False)
        self.k_proj = nn.Linear(width, shape.kv_heads * hd, bias=False)
        self.v_proj = nn.Linear(width, shape.kv_heads * hd, bias=False)
        self.o_proj = nn.Linear(shape.heads * hd, width, bias=False)
        self.norm2 = ConditionedRMSNorm(width, cond_dim)
        self.gate_proj = nn.Linear(width, ffn, bias=False)
        self.up_proj = nn.Linear(width, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, width, bias=False)

    def qkv(self, h: torch.Tensor, cond: torch.Tensor | None):
        """Queries, keys, values [B, heads, L, hd] and the residual gate of the attention branch (or None)."""
        x, gate = self.norm1(h, cond)
        b, length, _ = x.shape

        def heads(y: torch.Tensor, n: int) -> torch.Tensor:
            return y.view(b, length, n, -1).transpose(1, 2)

        q, k, v = self.q_proj(x), self.k_proj(x), self.v_proj(x)
        return heads(q, self.shape.heads), heads(k, self.shape.kv_heads), heads(v, self.shape.kv_heads), gate

    def joint(self, vlm_layer: nn.Module, *args, **kwargs):
        """This layer and its backbone layer as one layer of the joint stream (`attention.joint_layer`). A method of
        the pair's expert half so that FSDP2 can run it as the pair's forward (ablate/train/parallel.py)."""
        return joint_layer(vlm_layer, self, *args, **kwargs)

    def out(self, h: torch.Tensor, attended: torch.Tensor, attn_gate, cond: torch.Tensor | None) -> torch.Tensor:
        attn = self.o_proj(attended)
        h = h + (attn * attn_gate if attn_gate is not None else attn)
        x, gate = self.norm2(h, cond)
        mlp = self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))
        return h + (mlp * gate if gate is not None else mlp)


class ActionExpert(nn.Module):
    """The suffix stream: state token and noisy action chunk in, velocity chunk out."""

    def __init__(self, shape: LayerShape, width: int, ffn: int, state_in: int, action_dim: int, conditioning: str):
        super().__init__()
        if conditioning not in ("adarms", "concat"):
            raise ValueError(f"model.expert.time_conditioning must be adarms or concat, got {conditioning!r}")
        if width % 2:
            raise ValueError(f"model.expert.width must be even, got {width}")
        self.conditioning, self.width = conditioning, width
        cond_dim = width if conditioning == "adarms" else None
        self.layers = nn.ModuleList(ExpertLayer(width, ffn, shape, cond_dim) for _ in range(shape.layers))
        self.norm = ConditionedRMSNorm(width, cond_dim)
        self.state_in = nn.Linear(state_in, width)
        self.action_in = nn.Linear(action_dim, width)
        if conditioning == "adarms":
            self.time_mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width), nn.SiLU())
        else:
            self.action_time_mlp = nn.Sequential(nn.Linear(2 * width, width), nn.SiLU(), nn.Linear(width, width))
        self.action_out = nn.Linear(width, action_dim)

    def embed(self, state: torch.Tensor, noisy: torch.Tensor, t: torch.Tensor):
        """state [B, S_in], noisy actions [B, H, A], t [B] → suffix tokens [B, 1 + H, width] and the condition."""
        temb = time_embedding(t, self.width).to(noisy.dtype)
        actions = self.action_in(noisy)
        if self.conditioning == "adarms":
            cond = self.time_mlp(temb)
        else:
            cond = None
            actions = self.action_time_mlp(torch.cat([actions, temb[:, None].expand_as(actions)], dim=-1))
        return torch.cat([self.state_in(state)[:, None], actions], dim=1), cond

    def velocity(self, suffix: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
        """Final norm and projection of the action tokens (the state token is dropped): [B, H, A]."""
        x, _ = self.norm(suffix[:, 1:], cond)
        return self.action_out(x)
