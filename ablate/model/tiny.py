"""Tiny random VLMs of each supported family, with an offline tokenizer trained by `tokenizers` on a small
built-in corpus, for CPU runs and tests. Seeded: the same settings give the same weights on every machine.
`save_tiny` writes one beside its tokenizer, so it loads like any pretrained model from a local path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ablate.config.vla import TinySettings, family_of

DEFAULTS: dict[str, Any] = TinySettings().model_dump()  # one home for the defaults: the typed config

# What a robot is told: the testbed's instructions and the usual words of manipulation datasets.
CORPUS = """lift the red cube. stack the red cube on the green cube. pick up the object and place it in the bin.
open the drawer. close the drawer. push the block to the left. put the cup on the plate. move the arm up.
grasp the handle, turn the knob, insert the peg, fold the towel, wipe the table, pour the water.
red green blue yellow black white small large left right top bottom front back near far into onto from with.
"""


def train_tokenizer(vocab_size: int):
    """A byte-level BPE tokenizer trained on CORPUS (deterministic), as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "<unk>", "<bos>", "<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(CORPUS.split("\n"), trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>", bos_token="<bos>", eos_token="<eos>"
    )


def tiny_vlm(family: str, settings: TinySettings | dict[str, Any]):
    """(model, tokenizer) for a tiny random VLM of `family` (`settings` as `model.backbone.tiny`)."""
    family = family_of(family)
    s = (settings if isinstance(settings, TinySettings) else TinySettings.model_validate(settings)).model_dump()
    tokenizer = train_tokenizer(min(int(s["vocab_size"]), 400))
    vocab = max(int(s["vocab_size"]), len(tokenizer))
    text = {
        "hidden_size": s["hidden_size"],
        "intermediate_size": s["intermediate_size"],
        "num_hidden_layers": s["layers"],
        "num_attention_heads": s["heads"],
        "num_key_value_heads": s["kv_heads"],
        "head_dim": s["head_dim"],
        "vocab_size": vocab,
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    vision = {
        "hidden_size": s["vision_hidden"],
        "intermediate_size": 2 * s["vision_hidden"],
        "num_hidden_layers": s["vision_layers"],
        "num_attention_heads": 2,
        "image_size": s["image_size"],
        "patch_size": s["patch_size"],
    }
    torch.manual_seed(int(s["seed"]))
    model = _build(family, text, vision, s)
    return model.eval(), tokenizer


def _build(family: str, text: dict[str, Any], vision: dict[str, Any], s: dict[str, Any]):
    special = {"image_token_id": text["eos_token_id"]}  # never placed: the policy embeds images itself
    if family == "idefics3":
        from transformers import Idefics3Config, Idefics3ForConditionalGeneration

        config = Idefics3Config(
            text_config={"model_type": "llama", **text}, vision_config=vision, scale_factor=2, **special
        )
        return Idefics3ForConditionalGeneration(config)
    if family == "paligemma":
        from transformers import PaliGemmaConfig, PaliGemmaForConditionalGeneration

        vision = vision | {"projection_dim": text["hidden_size"]}
        config = PaliGemmaConfig(
            text_config={"model_type": "gemma", **text},
            vision_config=vision,
            projection_dim=text["hidden_size"],
            **special,
        )
        return PaliGemmaForConditionalGeneration(config)
    from transformers import Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration

    half = text["head_dim"] // 2  # mrope sections split the rotary half-dimension in three
    sections = [half - 2 * (half // 3), half // 3, half // 3]
    text = text | {"rope_parameters": {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": sections}}
    vision = {
        "depth": s["vision_layers"],
        "hidden_size": s["vision_hidden"],
        "intermediate_size": 2 * s["vision_hidden"],
        "num_heads": 2,
        "out_hidden_size": text["hidden_size"],
        "patch_size": s["patch_size"],
        "spatial_merge_size": 2,
        "temporal_patch_size": 2,
        "fullatt_block_indexes": list(range(s["vision_layers"])),
        "window_size": 2 * s["patch_size"] * 2,
    }
    config = Qwen2_5_VLConfig(text_config=text, vision_config=vision, **special)
    return Qwen2_5_VLForConditionalGeneration(config)


def save_tiny(family: str, out: Path, settings: dict[str, Any] | None = None) -> Path:
    """Write a tiny model and its tokenizer to `out` (loadable with `model.backbone.path: out`)."""
    model, tokenizer = tiny_vlm(family, settings or {})
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out
