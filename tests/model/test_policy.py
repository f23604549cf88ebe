"""The VLA core on tiny random backbones of each family: shapes, the block-causal mask, the prefix cache,
the masked loss, and the trainable sets of the stage curriculum."""

from __future__ import annotations

import pytest
import torch

from ablate.config import VlaModel
from ablate.model.attention import block_causal_mask, positions
from ablate.model.backbone import is_vision
from ablate.model.flow import masked_mse, sample_time
from ablate.model.policy import VLAPolicy

B, H, S, A, E = 3, 8, 16, 10, 10


def _policy(family: str, conditioning: str = "adarms", images: bool = True) -> VLAPolicy:
    torch.manual_seed(0)
    cfg = {
        "backbone": {"family": family, "tiny": {}},
        "expert": {"width": 32, "time_conditioning": conditioning},
        "images": images,
    }
    return VLAPolicy(
        VlaModel.model_validate(cfg), max_state_dim=S, max_action_dim=A, horizon=H, environment_state_dim=E
    )


def _batch(policy: VLAPolicy, images: bool = True) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    tokens, token_mask = policy.tokenize(["lift the red cube", "", "stack the red cube on the green cube"])
    batch = {
        "state": torch.randn(B, S, generator=g),
        "state_dim_mask": torch.ones(B, S),
        "state_mask": torch.tensor([1.0, 0.0, 1.0]),
        "actions": torch.randn(B, H, A, generator=g),
        "action_dim_mask": torch.ones(B, A),
        "action_is_pad": torch.zeros(B, H, dtype=torch.bool),
        "tokens": tokens,
        "token_mask": token_mask,
        "environment_state": torch.randn(B, E, generator=g),
    }
    if images:
        batch["images"] = torch.rand(B, 2, 3, 64, 64, generator=g)
        batch["camera_mask"] = torch.tensor([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    return batch


@pytest.mark.parametrize("family", ["idefics3", "paligemma", "qwen25vl"])
@pytest.mark.parametrize("conditioning", ["adarms", "concat"])
def test_every_family_trains_and_samples_chunks_of_the_right_shape(family, conditioning):
    policy = _policy(family, conditioning)
    batch = _batch(policy)
    loss = policy.loss(batch, torch.Generator().manual_seed(0))
    loss.backward()
    assert loss.ndim == 0 and torch.isfinite(loss)
    assert policy.expert.action_in.weight.grad.abs().sum() > 0  # the expert learns
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in policy.backbone.layers.parameters())
    chunk = policy.sample_actions(batch, generator=torch.Generator().manual_seed(0))
    assert chunk.shape == (B, H, A) and torch.isfinite(chunk).all()


@pytest.mark.parametrize("family", ["idefics3", "paligemma", "qwen25vl"])
def test_cached_prefix_gives_the_joint_forward_result(family):
    policy = _policy(family).eval()
    batch = _batch(policy)
    noisy, t = torch.randn(B, H, A), torch.full((B,), 0.4)
    with torch.no_grad():
        prefix, valid = policy.embed_prefix(batch)
        joint = policy.velocity(batch, prefix, valid, noisy, t)
        _, cache = policy._stream(prefix, valid, None, None)
        cached = policy.velocity(batch, None, valid, noisy, t, past=cache)
    torch.testing.assert_close(cached, joint, atol=1e-5, rtol=1e-5)


def test_mask_is_block_causal_and_hides_padding():
    valid = torch.tensor([[True, True, False], [True, False, True]])
    m = block_causal_mask(valid, suffix_len=2)[:, 0]
    assert m.shape == (2, 5, 5)
    assert not m[:, :3, 3:].any()  # the prefix never sees the suffix
    assert m[:, 3:, 3:].all()  # the suffix sees itself (both ways)
    assert m[0, 3:, :3].tolist() == [[True, True, False]] * 2  # …and the valid prefix only
    assert m[1, :3, :3].tolist() == [[True, False, True]] * 3  # prefix: bidirectional over valid tokens
    prefix_pos, suffix_pos = positions(valid, 2)
    assert prefix_pos[1].tolist() == [0, 0, 1] and suffix_pos[1].tolist() == [2, 3]


def test_suffix_output_ignores_padded_and_dropped_prefix_tokens():
    policy = _policy("idefics3").eval()
    batch = _batch(policy)
    noisy, t = torch.randn(B, H, A), torch.full((B,), 0.7)
    changed = dict(batch)
    changed["images"] = batch["images"].clone()
    changed["images"][1, 1] = torch.rand(3, 64, 64)  # sample 1 dropped camera 1: its pixels must not matter
    changed["tokens"] = batch["tokens"].clone()
    changed["tokens"][~batch["token_mask"]] = 7  # padding ids must not matter either
    with torch.no_grad():
        a = policy.velocity(batch, *policy.embed_prefix(batch), noisy, t)
        b = policy.velocity(changed, *policy.embed_prefix(changed), noisy, t)
    torch.testing.assert_close(a, b)


def test_loss_ignores_padded_dims_and_padded_steps():
    target = torch.zeros(2, 4, 3)
    predicted = torch.zeros(2, 4, 3)
    predicted[:, :, 2] = 100.0  # a padded action dim
    predicted[1, 3] = 100.0  # a padded chunk step
    dim_mask = torch.tensor([[1.0, 1.0, 0.0]] * 2)
    is_pad = torch.tensor([[False] * 4, [False, False, False, True]])
    assert masked_mse(predicted, target, dim_mask, is_pad).item() == 0.0
    predicted[0, 0, 0] = 1.0
    # sample 0 has 8 real entries, one off by 1; sample 1 is exact: each sample weighs the same
    assert masked_mse(predicted, target, dim_mask, is_pad).item() == pytest.approx((1.0 / 8 + 0.0) / 2)


def test_flow_time_follows_beta_1_5_1():
    t = sample_time(200_000, torch.Generator().manual_seed(0))
    assert t.min() >= 0.001 and t.max() <= 1.0
    # Beta(1.5, 1) has mean 0.6; scaled into [0.001, 1]: 0.6·0.999 + 0.001
    assert t.mean().item() == pytest.approx(0.6 * 0.999 + 0.001, abs=2e-3)


def test_stage_one_freezes_the_vlm_and_trains_the_expert():
    policy = _policy("paligemma")
    trainable = {id(p) for p in policy.set_trainable("expert")}
    assert all(id(p) not in trainable for p in policy.backbone.parameters())
    assert all(id(p) in trainable for p in policy.expert.parameters())
    policy.set_trainable("all_but_vision")
    assert not any(p.requires_grad for p in policy.backbone.vlm.model.vision_tower.parameters())
    assert all(p.requires_grad for p in policy.backbone.layers[0].parameters())
    assert policy.backbone.layers[-1].self_attn.k_proj.weight.requires_grad  # the suffix reads its keys
    with pytest.raises(ValueError, match=r"stages\.\*\.trainable"):
        policy.set_trainable("head")


@pytest.mark.parametrize("family", ["idefics3", "paligemma", "qwen25vl"])
@pytest.mark.parametrize("images", [True, False])
def test_every_trainable_weight_gets_a_gradient(family, images):
    """What DDP requires, and no weight trains for nothing: after one backward every trainable parameter has a
    gradient; the frozen ones are exactly those no loss reaches (the vision tower only when there are no images)."""
    policy = _policy(family, images=images)
    policy.set_trainable("all")
    policy.loss(_batch(policy, images=images), torch.Generator().manual_seed(0)).backward()
    missing = [n for n, p in policy.named_parameters() if p.requires_grad and p.grad is None]
    assert not missing
    frozen = {n for n, p in policy.named_parameters() if not p.requires_grad}
    assert any("mlp" in n for n in frozen) and all(n.startswith("backbone.") for n in frozen)
    vision_trains = [p.requires_grad for n, p in policy.named_parameters() if is_vision(n)]
    assert any(vision_trains) if images else not any(vision_trains)


def test_unknown_family_is_refused():
    with pytest.raises(ValueError, match="unknown family 'llava'"):
        VlaModel.model_validate({"backbone": {"family": "llava", "tiny": {}}})
