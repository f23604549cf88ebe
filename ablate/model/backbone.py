"""The VLM backbone: any transformers vision-language model of a supported family, pretrained (hub name or local
path) or built from a small config. The policy needs four things from it, and this module is the only place
that knows how each family provides them:

- `embed_images(pixels)`: camera images [B, N, 3, H, W] in [0, 1] → tokens [B, N, T, D] in the LM's width;
- `embed_text(ids)`: token ids → embeddings (Gemma's √D scale included, as its own embedding applies it);
- `layers`: the language model's decoder layers, whose weights the policy's prefix stream uses;
- `rotary(x, positions)`: the LM's own RoPE (cos, sin) for 1-D positions.

Qwen2.5-VL's multimodal RoPE gets the same position on its three axes, which reduces it to 1-D RoPE: image
tokens are ordered by camera and patch instead of carrying 2-D positions (the vision tower keeps its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from ablate.config.vla import BackboneConfig, family_of

# SigLIP (Idefics3, PaliGemma) expects pixels in [-1, 1]; Qwen2.5-VL's tower the CLIP statistics.
_PIXEL_STATS = {
    "idefics3": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "paligemma": ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    "qwen25vl": ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)),
}


@dataclass(frozen=True)
class LayerShape:
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    layers: int


VISION_MODULES = ("vision_model", "vision_tower", "visual", "connector", "multi_modal_projector")


def is_vision(name: str) -> bool:
    """A parameter of the vision tower or its projector into the language model, in any supported family."""
    return any(k in name for k in VISION_MODULES)


class Backbone(nn.Module):
    def __init__(self, vlm: nn.Module, family: str, image_size: int):
        super().__init__()
        self.family = family_of(family)
        self.vlm = vlm
        self.image_size = image_size
        inner = vlm.model
        self.lm = inner.text_model if self.family == "idefics3" else inner.language_model
        cfg = self.lm.config
        if getattr(cfg, "attn_logit_softcapping", None) or getattr(cfg, "final_logit_softcapping", None):
            raise ValueError(
                f"model.backbone: {type(self.lm).__name__} uses logit soft-capping, which the joint "
                "attention does not implement (use PaliGemma 1 / Gemma, SmolVLM or Qwen2.5-VL)"
            )
        # The LM head is never used: actions come out of the expert.
        if hasattr(vlm, "lm_head"):
            vlm.lm_head = nn.Identity()
        mean, std = _PIXEL_STATS[self.family]
        self.register_buffer("pixel_mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("pixel_std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)

    @property
    def shape(self) -> LayerShape:
        cfg = self.lm.config
        heads = cfg.num_attention_heads
        head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // heads
        return LayerShape(cfg.hidden_size, heads, cfg.num_key_value_heads, head_dim, cfg.num_hidden_layers)

    @property
    def layers(self) -> nn.ModuleList:
        return self.lm.layers

    def unreachable(self, images: bool) -> list[nn.Parameter]:
        """Weights no action loss reaches: the final norm (actions come out of the expert), the last layer's
        queries, attention output and MLP (only its keys/values are read, by the suffix), the vision tower and its
        projector when the model takes no images, and vision parts the family never reads."""
        last, attn = self.layers[-1], self.layers[-1].self_attn
        modules = [self.lm.norm, attn.q_proj, attn.o_proj, last.mlp, last.post_attention_layernorm]
        modules += [attn.q_norm] if hasattr(attn, "q_norm") else []
        out = [p for m in modules for p in m.parameters()]
        vision = [(name, p) for name, p in self.vlm.named_parameters() if is_vision(name)]
        if not images:
            return out + [p for _, p in vision]
        # SigLIP's attention-pooling head: PaliGemma takes every patch token, never the pooled one.
        return out + [p for name, p in vision if "vision_tower.head." in name]

    def embed_text(self, ids: torch.Tensor) -> torch.Tensor:
        return self.lm.embed_tokens(ids)

    def rotary(self, x: torch.Tensor, positions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.lm.rotary_emb(x, positions)

    def embed_images(self, pixels: torch.Tensor) -> torch.Tensor:
        """[B, N, 3, H, W] in [0, 1] → [B, N, T, D]."""
        b, n = pixels.shape[:2]
        x = pixels.flatten(0, 1).to(self.pixel_mean.dtype)
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False)
        x = ((x - self.pixel_mean) / self.pixel_std).to(next(self.vlm.parameters()).dtype)
        tokens = getattr(self, f"_images_{self.family}")(x)
        return tokens.view(b, n, *tokens.shape[1:])

    def _images_idefics3(self, x: torch.Tensor) -> torch.Tensor:
        inner = self.vlm.model
        # The vision tower directly: `get_image_features` drops all-zero images, which would change shapes.
        hidden = inner.vision_model(pixel_values=x).last_hidden_state
        return inner.connector(hidden)

    def _images_paligemma(self, x: torch.Tensor) -> torch.Tensor:
        return self.vlm.model.get_image_features(x).pooler_output

    def _images_qwen25vl(self, x: torch.Tensor) -> torch.Tensor:
        visual = self.vlm.model.visual
        vc = visual.config
        patches, grid = qwen_patchify(x, vc.patch_size, vc.spatial_merge_size, vc.temporal_patch_size)
        out = visual(patches, grid_thw=grid).pooler_output  # [N·T, D], images one after another
        return out.view(len(x), -1, out.shape[-1])


def qwen_patchify(images: torch.Tensor, patch: int, merge: int, temporal: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Qwen2.5-VL's processor layout in torch: a still image repeated over the temporal patch, patches grouped
    by merge window. [N, C, H, W] → ([N·gh·gw, C·temporal·patch²], grid_thw [N, 3])."""
    n, c, h, w = images.shape
    if h % (patch * merge) or w % (patch * merge):
        raise ValueError(f"model.image_size must be a multiple of {patch * merge} for Qwen2.5-VL, got {h}×{w}")
    gh, gw = h // patch, w // patch
    x = images.unsqueeze(1).expand(n, temporal, c, h, w)
    x = x.reshape(n, temporal, c, gh // merge, merge, patch, gw // merge, merge, patch)
    x = x.permute(0, 3, 6, 4, 7, 2, 1, 5, 8)  # n, gh/m, gw/m, m, m, c, temporal, p, p
    grid = torch.tensor([[1, gh, gw]] * n, device=images.device)
    return x.reshape(n * gh * gw, c * temporal * patch * patch), grid


def load_vlm(cfg: BackboneConfig) -> tuple[nn.Module, Any]:
    """(model, tokenizer) from `model.backbone`: `path` (hub name or local dir, pretrained weights) or `tiny`."""
    from transformers import AutoModelForImageTextToText, AutoTokenizer

    family = family_of(cfg.family)
    if cfg.path:
        model = AutoModelForImageTextToText.from_pretrained(cfg.path, dtype=torch.float32)
        tokenizer = AutoTokenizer.from_pretrained(cfg.path)
        return model, tokenizer
    from ablate.model.tiny import tiny_vlm

    return tiny_vlm(family, cfg.tiny)
