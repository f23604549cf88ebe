"""The shared flow-matching VLA core every arm trains: a VLM backbone (prefix: camera images, instruction and,
for low-dimensional scenes, an environment-state token) and an action expert (suffix: one state token and the
noisy action chunk), joined layer by layer in one attention (`attention.joint_layer`).

A batch (`ablate.data.loader.MixtureLoader`; `ablate.data.inputs` for one observation) holds, in the unified
padded space:
    state [B, S], state_dim_mask [B, S], state_mask [B] (0 = state dropped), actions [B, H, A],
    action_dim_mask [B, A], action_is_pad [B, H], tokens / token_mask [B, Lt],
    images [B, N, 3, h, w] with camera_mask [B, N] (optional), environment_state [B, E] (optional).
"""

from __future__ import annotations

from functools import lru_cache

import torch
from torch import nn

from ablate.config import VlaModel
from ablate.model.attention import LayerKV, block_causal_mask, positions
from ablate.model.backbone import Backbone, is_vision, load_vlm
from ablate.model.expert import ActionExpert
from ablate.model.flow import draw, euler_sample, interpolate, masked_mse, velocity_target

TRAINABLE = ("all", "expert", "all_but_vision")


class VLAPolicy(nn.Module):
    def __init__(
        self,
        cfg: VlaModel,
        *,
        max_state_dim: int,
        max_action_dim: int,
        horizon: int,
        environment_state_dim: int = 0,
    ):
        super().__init__()
        vlm, self.tokenizer = load_vlm(cfg.backbone)
        image_size = cfg.image_size or _vision_size(vlm)
        self.backbone = Backbone(vlm, cfg.backbone.family, image_size)
        shape = self.backbone.shape
        width = cfg.expert.width or max(32, shape.hidden // 2)
        self.expert = ActionExpert(
            shape,
            width,
            cfg.expert.ffn or 4 * width,
            state_in=2 * max_state_dim + 1,  # state, its dim mask (which robot), and the dropped-state flag
            action_dim=max_action_dim,
            conditioning=cfg.expert.time_conditioning,
        )
        self.environment_in = nn.Linear(environment_state_dim, shape.hidden) if environment_state_dim else None
        self.horizon, self.max_action_dim = horizon, max_action_dim
        self.images = cfg.images
        self.max_text_tokens = cfg.max_text_tokens
        self.denoise_steps = cfg.denoise_steps
        self._tokenize = lru_cache(maxsize=1024)(self._tokenize_uncached)

    # -- inputs ---------------------------------------------------------------------------------------
    def tokenize(self, texts: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [self._tokenize(t) for t in texts]
        tokens = torch.full((len(ids), self.max_text_tokens), self.tokenizer.pad_token_id, dtype=torch.long)
        mask = torch.zeros(len(ids), self.max_text_tokens, dtype=torch.bool)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = torch.tensor(row, dtype=torch.long)
            mask[i, : len(row)] = True
        return tokens, mask

    def _tokenize_uncached(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"][: self.max_text_tokens]

    def embed_prefix(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Prefix tokens [B, Lp, D] and which of them are real [B, Lp]."""
        parts, valid = [], []
        if batch.get("images") is not None:
            images = self.backbone.embed_images(batch["images"])  # [B, N, T, D]
            b, n, t, _ = images.shape
            parts.append(images.flatten(1, 2))
            valid.append(batch["camera_mask"].bool()[:, :, None].expand(b, n, t).flatten(1))
        parts.append(self.backbone.embed_text(batch["tokens"]))
        valid.append(batch["token_mask"].bool())
        if self.environment_in is not None:
            parts.append(self.environment_in(batch["environment_state"])[:, None])
            valid.append(torch.ones_like(valid[-1][:, :1]))
        dtype = parts[0].dtype
        return torch.cat([p.to(dtype) for p in parts], dim=1), torch.cat(valid, dim=1)

    @staticmethod
    def state_input(batch: dict[str, torch.Tensor]) -> torch.Tensor:
        kept = batch["state_mask"].to(batch["state"].dtype)[:, None]
        return torch.cat([batch["state"] * kept, batch["state_dim_mask"], kept], dim=-1)

    # -- the joint stream ------------------------------------------------------------------------------
    def _stream(self, prefix, valid, suffix, cond, past: list[LayerKV] | None = None):
        """Run every layer; prefix may be None when `past` (the prefix cache) is given, suffix None to build it."""
        suffix_len = suffix.shape[1] if suffix is not None else 0
        prefix_pos, suffix_pos = positions(valid, suffix_len)
        mask = block_causal_mask(valid, suffix_len)
        if prefix is None:
            mask = mask[:, :, valid.shape[1] :]  # suffix queries only
        elif suffix is None:
            mask = mask[:, :, : valid.shape[1], : valid.shape[1]]
        anchor = prefix if prefix is not None else suffix
        rope = (
            self.backbone.rotary(anchor, prefix_pos) if prefix is not None else None,
            self.backbone.rotary(anchor, suffix_pos) if suffix is not None else None,
        )
        cache = []
        for i, (vlm_layer, expert_layer) in enumerate(zip(self.backbone.layers, self.expert.layers, strict=True)):
            prefix, suffix, kv = expert_layer.joint(
                vlm_layer,
                prefix,
                suffix,
                cond,
                mask,
                rope,
                self.backbone.shape,
                past=past[i] if past is not None else None,
                prefix_keys_only=i == len(self.backbone.layers) - 1,
            )
            cache.append(kv)
        return suffix, cache

    def velocity(self, batch, prefix, valid, noisy, t, past=None) -> torch.Tensor:
        suffix, cond = self.expert.embed(self.state_input(batch), noisy.to(self._dtype()), t)
        suffix = suffix.to(prefix.dtype if prefix is not None else suffix.dtype)
        out, _ = self._stream(prefix, valid, suffix, cond, past)
        return self.expert.velocity(out, cond)

    def loss(self, batch: dict[str, torch.Tensor], generator: torch.Generator | None = None) -> torch.Tensor:
        """The masked flow-matching loss of one batch: noise and time from the batch (`flow_noise`, `flow_time`,
        as the trainer draws them) or else drawn from `generator`."""
        actions = batch["actions"]
        if "flow_noise" in batch:
            noise, t = batch["flow_noise"], batch["flow_time"]
        else:
            noise, t = draw(actions.shape, generator)
        noise, t = noise.to(actions), t.to(actions)
        prefix, valid = self.embed_prefix(batch)
        self.last_tokens = int(valid.sum()) + valid.shape[0] * (1 + actions.shape[1])  # for the token budget
        predicted = self.velocity(batch, prefix, valid, interpolate(actions, noise, t), t)
        return masked_mse(predicted, velocity_target(actions, noise), batch["action_dim_mask"], batch["action_is_pad"])

    forward = loss  # what DistributedDataParallel calls

    @torch.no_grad()
    def sample_actions(
        self,
        batch: dict[str, torch.Tensor],
        noise: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """A normalised action chunk [B, H, A]: the prefix keys/values are computed once, then `denoise_steps`
        Euler steps run the suffix against that cache."""
        b = len(batch["state"])
        if noise is None:
            shape = (b, self.horizon, self.max_action_dim)
            noise = torch.randn(shape, generator=generator).to(batch["state"].device)
        prefix, valid = self.embed_prefix(batch)
        _, cache = self._stream(prefix, valid, None, None)
        return euler_sample(
            lambda x, t: self.velocity(batch, None, valid, x, t, past=cache).float(), noise, self.denoise_steps
        )

    # -- what trains ------------------------------------------------------------------------------------
    def set_trainable(self, which: str) -> list[nn.Parameter]:
        """`expert`: the VLM frozen (stage 1 of the Rethink-VLA curriculum); `all`; `all_but_vision`."""
        if which not in TRAINABLE:
            raise ValueError(f"stages.*.trainable must be one of {', '.join(TRAINABLE)}, got {which!r}")
        # Weights no loss can reach stay frozen: they would never change, and DDP requires every trainable
        # parameter to receive a gradient.
        unreachable = {id(p) for p in self.backbone.unreachable(images=self.images)}
        for name, p in self.named_parameters():
            in_vlm = name.startswith("backbone.")
            vision = in_vlm and is_vision(name)
            wanted = not in_vlm or which == "all" or (which == "all_but_vision" and not vision)
            p.requires_grad_(wanted and id(p) not in unreachable)
        return [p for p in self.parameters() if p.requires_grad]

    def _dtype(self) -> torch.dtype:
        return self.expert.action_in.weight.dtype


def _vision_size(vlm: nn.Module) -> int:
    vision = vlm.config.vision_config
    if hasattr(vision, "image_size"):
        return int(vision.image_size)
    return 56  # Qwen2.5-VL takes any multiple of 28; a small default for CPU
