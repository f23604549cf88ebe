"""Benchmark: TRAINING samples/s (forward + backward + gradient clipping + AdamW step) of ablate's flow-matching VLA
core (`ablate.model.policy.VLAPolicy`) against lerobot's own SmolVLA (`lerobot.policies.smolvla`), built at the same
size, batch and trainable set, timed in the same run on the same machine (steps alternate between the two, ABBA,
so a load change on the machine hits both alike). Issue target: ablate ≥ 1.5× lerobot.

    .venv/bin/python benchmarks/train_throughput.py                        # tiny, CPU, batch 32, 30 steps
    .venv/bin/python benchmarks/train_throughput.py --size small --threads 2
    .venv/bin/python benchmarks/train_throughput.py --size base --device cuda --bf16 --batch 64 --json out.json

On a CPU shared with other work, give `--threads` no more than the idle cores: oversubscribed threads make step
times erratic (one tiny run gave 1.2× and 1.9× with 2 threads beside another job). On an idle 2-core CPU: 1.20× at
`tiny` with 1 thread, 1.12× at `small` with 2 threads.

How both are built (offline, random weights):
- ablate: `VLAPolicy` on a SmolVLM-shaped (Idefics3) backbone from `ablate.model.tiny` settings (`SIZES`).
- lerobot: `SmolVLAPolicy(SmolVLAConfig(vlm_model_name=<local dir>, load_vlm_weights=False, ...))`. SmolVLA builds
  its VLM with `AutoConfig` + `SmolVLMForConditionalGeneration(config)` and reads `AutoProcessor` for two image
  token ids, so the dir holds ablate's backbone config rewritten as a `SmolVLMConfig` (the same text and vision
  towers) and ablate's offline tokenizer with SmolVLM's image special tokens, in an `Idefics3Processor` (the
  `SmolVLMProcessor` needs the `num2words` package; SmolVLA only reads `processor.tokenizer`).

What is matched: backbone (hidden, layers = `num_vlm_layers`, heads, kv heads, head_dim, MLP, vocab, vision tower,
image tokens), expert width (`expert_width_multiplier` = width / hidden), as many expert layers as backbone layers,
expert MLP width (ablate's `expert.ffn` set to SmolVLA's rounding of it, `get_intermediate_size`), pi0-style
time conditioning (ablate `concat` = SmolVLA's action-time MLP; `--conditioning adarms` for ablate's default),
chunk size = horizon, max state/action dims (32, real dims 14), two cameras at the backbone's image size (SmolVLA's
`resize_imgs_with_padding=None`, so both see the same pixels, mapped to [-1, 1]), the same language tokens and
mask (ablate's tokenizer, padded to `max_text_tokens` = `tokenizer_max_length`), the same trainable set
(`--trainable`: ablate `set_trainable(...)`; SmolVLA `train_expert_only` / `freeze_vision_encoder`), AdamW from
each project's own builder (ablate `make_optimizer`, lerobot `get_optimizer_preset().build`), clip to norm 1,
bf16 autocast around the forward on CUDA only (`--bf16`), as both trainers do.

Differences that remain (printed too), each a design choice of one of the two models:
- SmolVLA's default `attention_mode="cross_attn"`: every 2nd layer the expert only cross-attends to the VLM's keys/
  values (re-projected by its own k/v_proj); ablate joins prefix and suffix in one attention in every layer.
  `--smolvla-attention self_attn` makes SmolVLA's layers joint too.
- SmolVLA's state token sits in the prefix (projected to the VLM width), ablate's in the suffix (expert width), so
  the prefix/suffix split is off by one token; in `--trainable expert`, SmolVLA's trainable `state_proj` makes its
  backward run through the frozen VLM, which ablate's does not.
- Attention kernels: SmolVLA's eager float32 attention (GQA keys expanded) vs ablate's `scaled_dot_product_attention`.
- With `--trainable all`, SmolVLA freezes the last VLM layer and the final norm (unused-parameter guard for DDP);
  ablate freezes the final norm and its last layer's queries, output and MLP (nothing reads them) but trains that
  layer's keys/values, which the suffix attends to.
- Neither model's unused LM head is counted in the totals (ablate replaces it; SmolVLA keeps a frozen one).
- Masked loss: ablate averages per sample over real action dims and steps; SmolVLA over the batch. Same cost.

Sizes: `tiny` and `small` are CPU sizes; `base` is SmolVLA-shaped (SmolVLM2 text tower cut to 16 layers: hidden 960,
15 heads, 5 kv heads, expert 720) for a GPU, with the differences of `ablate.model.tiny` (2 vision heads, vision MLP
2× wide, pixel-shuffle 2: 256×256 images → 64 tokens each, as SmolVLA's 512×512 with shuffle 4).
No 3B preset (PaliGemma / Qwen2.5-VL backbone vs lerobot's pi0): ablate builds a backbone either from pretrained
weights on disk (`backbone.path`) or from `ablate.model.tiny`, whose vision tower shape is fixed (2 heads, 2× MLP),
so a PaliGemma-3B-shaped ablate model needs a ~12 GB random checkpoint written first and the pi0 side a second
tokenizer/processor setup; that is left for a GPU session.

MFU (CUDA only) counts model FLOPs per sample from the matmul weights of each block × the tokens it processes,
6× for trainable weights and 2× for frozen ones (attention scores left out), for ablate's structure; the same
count serves both models, so their MFU ratio is the throughput ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import statistics
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import torch
from torch import nn

# Backbone settings (`ablate.model.tiny`), expert width, language tokens; horizon 50 (SmolVLA's chunk size).
SIZES = {
    "tiny": {
        "tiny": {"hidden_size": 64, "layers": 2, "heads": 4, "kv_heads": 2, "head_dim": 16, "intermediate_size": 128},
        "expert_width": 48,
        "text_tokens": 16,
    },
    "small": {
        "tiny": {
            "hidden_size": 256,
            "layers": 4,
            "heads": 4,
            "kv_heads": 2,
            "head_dim": 64,
            "intermediate_size": 1024,
            "vision_hidden": 128,
            "vision_layers": 2,
            "image_size": 112,
        },
        "expert_width": 192,
        "text_tokens": 32,
    },
    "base": {
        "tiny": {
            "hidden_size": 960,
            "layers": 16,
            "heads": 15,
            "kv_heads": 5,
            "head_dim": 64,
            "intermediate_size": 2560,
            "vocab_size": 49280,
            "vision_hidden": 768,
            "vision_layers": 12,
            "image_size": 256,
            "patch_size": 16,
        },
        "expert_width": 720,
        "text_tokens": 48,
    },
}
HORIZON, CAMERAS, MAX_DIM, STATE_DIM, ACTION_DIM, CLIP = 50, 2, 32, 14, 14, 1.0
LR = 1e-4
INSTRUCTIONS = (
    "lift the red cube",
    "stack the red cube on the green cube",
    "pick up the object and place it in the bin",
    "open the drawer",
    "put the cup on the plate",
)
SMOLVLM_IMAGE_TOKENS = {
    "fake_image_token": "<fake_token_around_image>",
    "image_token": "<image>",
    "global_image_token": "<global-img>",
    "end_of_utterance_token": "<end_of_utterance>",
}
PEAK_TFLOPS = {"H100": {"bf16": 989.0, "fp32": 67.0}, "H200": {"bf16": 989.0, "fp32": 67.0}, "A100": {"bf16": 312.0}}
SMOLVLA_TRAINABLE = {"all": (False, False), "all_but_vision": (False, True), "expert": (True, True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--steps", type=int, default=30, help="timed optimizer steps per model")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps per model first")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--trainable", choices=sorted(SMOLVLA_TRAINABLE), default="all")
    parser.add_argument("--conditioning", choices=("concat", "adarms"), default="concat", help="ablate's expert")
    parser.add_argument("--smolvla-attention", choices=("cross_attn", "self_attn"), default="cross_attn")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast around the forward (CUDA only)")
    parser.add_argument("--peak-tflops", type=float, help="for MFU; default: a table of known GPUs")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device")
    if args.bf16 and args.device != "cuda":
        parser.error("--bf16 is CUDA only (emulated bf16 on the CPU is far slower, and ablate's trainer never uses it)")
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    size = SIZES[args.size]

    ours = build_ablate(size, args)
    with tempfile.TemporaryDirectory() as tmp:
        theirs = build_smolvla(write_smolvlm_dir(ours, Path(tmp)), size, args)
    ours.to(device).train()
    theirs.to(device).train()
    ours_batch, their_batch = make_batches(ours, args.batch, size, device)

    from ablate.config import OptimConfig
    from ablate.train.optim import make_optimizer

    ours_params = ours.set_trainable(args.trainable)
    their_params = [p for p in theirs.parameters() if p.requires_grad]
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if args.bf16 else nullcontext()
    runners = {
        "ablate": Runner(
            lambda: ours.loss(ours_batch), ours_params, make_optimizer(OptimConfig(lr=LR), ours_params, 0)[0], autocast
        ),
        "lerobot": Runner(
            lambda: theirs.forward(their_batch)[0],
            their_params,
            theirs.config.get_optimizer_preset().build(their_params),
            autocast,
        ),
    }
    for _ in range(args.warmup):
        for runner in runners.values():
            runner.step(timed=False)
    names = list(runners)
    for i in range(args.steps):
        for name in names if i % 2 == 0 else names[::-1]:
            runners[name].step(timed=True)

    report(args, size, ours, theirs, runners, device)


class Runner:
    """One model's training step, timed: forward (under autocast), backward, clip, AdamW step, zero_grad, loss.item()
    (the loop of both trainers)."""

    def __init__(self, forward, params: list[nn.Parameter], optimizer, autocast):
        self.forward, self.params, self.optimizer, self.autocast = forward, params, optimizer, autocast
        self.times: list[float] = []
        self.with_grad: int | None = None  # parameters that received a gradient (first step)
        self.peak_memory = 0

    def step(self, timed: bool) -> None:
        cuda = self.params[0].is_cuda
        if cuda:
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        with self.autocast:
            loss = self.forward()
        loss.backward()
        if self.with_grad is None:
            self.with_grad = sum(p.numel() for p in self.params if p.grad is not None)
        nn.utils.clip_grad_norm_(self.params, CLIP)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if not math.isfinite(loss.item()):
            raise FloatingPointError("non-finite loss")
        if cuda:
            torch.cuda.synchronize()
            self.peak_memory = max(self.peak_memory, torch.cuda.max_memory_allocated())
        if timed:
            self.times.append(time.perf_counter() - t0)


# -- the two models -------------------------------------------------------------------------------------------------
def expert_ffn(width: int) -> int:
    """SmolVLA's expert MLP width for an expert of `width` (its own rounding), which ablate's expert is given too."""
    from lerobot.policies.smolvla.smolvlm_with_expert import get_intermediate_size

    return get_intermediate_size(width)


def build_ablate(size: dict, args):
    from ablate.config import VlaModel
    from ablate.model.policy import VLAPolicy

    width = size["expert_width"]
    cfg = {
        "backbone": {"family": "idefics3", "tiny": size["tiny"]},
        "expert": {"width": width, "ffn": expert_ffn(width), "time_conditioning": args.conditioning},
        "images": True,
        "max_text_tokens": size["text_tokens"],
    }
    torch.manual_seed(0)
    return VLAPolicy(VlaModel.model_validate(cfg), max_state_dim=MAX_DIM, max_action_dim=MAX_DIM, horizon=HORIZON)


def write_smolvlm_dir(policy, out: Path) -> Path:
    """What SmolVLA reads from `vlm_model_name`: ablate's backbone config as a SmolVLM config (AutoConfig), and
    ablate's tokenizer plus SmolVLM's image special tokens in a processor (AutoProcessor)."""
    from tokenizers import Tokenizer
    from transformers import Idefics3ImageProcessor, Idefics3Processor, PreTrainedTokenizerFast, SmolVLMConfig

    cfg = policy.backbone.vlm.config
    vision = {k: v for k, v in cfg.vision_config.to_dict().items() if k not in ("model_type", "transformers_version")}
    SmolVLMConfig(
        text_config=cfg.text_config.to_dict(),
        vision_config=vision,
        scale_factor=cfg.scale_factor,
        image_token_id=cfg.image_token_id,
        tie_word_embeddings=False,
    ).save_pretrained(out)
    backend = Tokenizer.from_str(policy.tokenizer.backend_tokenizer.to_str())  # a copy: ablate's stays as it is
    backend.add_special_tokens(list(SMOLVLM_IMAGE_TOKENS.values()))
    special = {k: getattr(policy.tokenizer, k) for k in ("pad_token", "unk_token", "bos_token", "eos_token")}
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, extra_special_tokens=SMOLVLM_IMAGE_TOKENS, **special)
    Idefics3Processor(image_processor=Idefics3ImageProcessor(), tokenizer=tokenizer).save_pretrained(out)
    return out


def build_smolvla(vlm_dir: Path, size: dict, args):
    from lerobot.configs import FeatureType, PolicyFeature
    from lerobot.policies.smolvla.configuration_smolvla import SmolVLAConfig
    from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy

    image = image_size(size)
    inputs = {"observation.state": PolicyFeature(FeatureType.STATE, (STATE_DIM,))}
    for cam in range(CAMERAS):
        inputs[f"observation.images.cam{cam}"] = PolicyFeature(FeatureType.VISUAL, (3, image, image))
    train_expert_only, freeze_vision = SMOLVLA_TRAINABLE[args.trainable]
    config = SmolVLAConfig(
        input_features=inputs,
        output_features={"action": PolicyFeature(FeatureType.ACTION, (ACTION_DIM,))},
        device=args.device,
        vlm_model_name=str(vlm_dir),
        load_vlm_weights=False,
        chunk_size=HORIZON,
        n_action_steps=HORIZON,
        max_state_dim=MAX_DIM,
        max_action_dim=MAX_DIM,
        resize_imgs_with_padding=None,
        tokenizer_max_length=size["text_tokens"],
        pad_language_to="max_length",
        num_vlm_layers=size["tiny"]["layers"],
        num_expert_layers=-1,  # as many as the VLM
        expert_width_multiplier=size["expert_width"] / size["tiny"]["hidden_size"],
        attention_mode=args.smolvla_attention,
        train_expert_only=train_expert_only,
        freeze_vision_encoder=freeze_vision,
    )
    torch.manual_seed(0)
    with contextlib.redirect_stdout(io.StringIO()):  # "Reducing the number of VLM layers to ..."
        policy = SmolVLAPolicy(config)
    width = policy.model.vlm_with_expert.expert_hidden_size
    if width != size["expert_width"]:
        raise AssertionError(f"SmolVLA's expert is {width} wide, ablate's {size['expert_width']}")
    return policy


def make_batches(policy, b: int, size: dict, device: torch.device) -> tuple[dict, dict]:
    """The same batch in each model's keys: ablate's unified padded space, lerobot's `observation.*` / `action`."""
    g = torch.Generator().manual_seed(0)
    tokens, token_mask = policy.tokenize([INSTRUCTIONS[i % len(INSTRUCTIONS)] for i in range(b)])
    state = torch.zeros(b, MAX_DIM)
    state[:, :STATE_DIM] = torch.randn(b, STATE_DIM, generator=g)
    actions = torch.zeros(b, HORIZON, MAX_DIM)
    actions[..., :ACTION_DIM] = torch.randn(b, HORIZON, ACTION_DIM, generator=g)
    ends = torch.randint(HORIZON // 2, HORIZON + 1, (b, 1), generator=g)
    is_pad = torch.arange(HORIZON)[None] >= ends  # some episodes end inside the chunk
    image = image_size(size)
    images = torch.rand(b, CAMERAS, 3, image, image, generator=g)
    ours = {
        "state": state,
        "state_dim_mask": (torch.arange(MAX_DIM) < STATE_DIM).float().expand(b, -1),
        "state_mask": torch.ones(b),
        "actions": actions,
        "action_dim_mask": (torch.arange(MAX_DIM) < ACTION_DIM).float().expand(b, -1),
        "action_is_pad": is_pad,
        "tokens": tokens,
        "token_mask": token_mask,
        "images": images,
        "camera_mask": torch.ones(b, CAMERAS),
    }
    theirs = {
        "observation.state": state[:, :STATE_DIM],
        "action": actions[..., :ACTION_DIM],
        "action_is_pad": is_pad,
        "observation.language.tokens": tokens,
        "observation.language.attention_mask": token_mask,
    }
    for cam in range(CAMERAS):
        theirs[f"observation.images.cam{cam}"] = images[:, cam]
    return (
        {k: v.contiguous().to(device) for k, v in ours.items()},
        {k: v.contiguous().to(device) for k, v in theirs.items()},
    )


def image_size(size: dict) -> int:
    from ablate.model.tiny import DEFAULTS

    return int(size["tiny"].get("image_size", DEFAULTS["image_size"]))


def image_tokens(size: dict) -> tuple[int, int]:
    """(vision patches, LM tokens) per image: Idefics3's pixel shuffle by 2 (`ablate.model.tiny`)."""
    from ablate.model.tiny import DEFAULTS

    patches = (image_size(size) // int(size["tiny"].get("patch_size", DEFAULTS["patch_size"]))) ** 2
    return patches, patches // 4


# -- the report -----------------------------------------------------------------------------------------------------
def count(module: nn.Module, exclude: nn.Module | None = None) -> tuple[int, int]:
    """(total, trainable) parameters of `module`, leaving out those of `exclude`."""
    skip = {id(p) for p in exclude.parameters()} if exclude is not None else set()
    params = [p for p in module.parameters() if id(p) not in skip]
    return sum(p.numel() for p in params), sum(p.numel() for p in params if p.requires_grad)


def model_flops(policy, size: dict) -> float:
    """Model FLOPs of one training sample (see the module docstring), from ablate's structure."""
    patches, per_image = image_tokens(size)
    inner = policy.backbone.vlm.model
    blocks = (
        (inner.vision_model, CAMERAS * patches),
        (inner.connector, CAMERAS * per_image),
        (policy.backbone.layers, CAMERAS * per_image + size["text_tokens"]),
        (policy.expert, 1 + HORIZON),
    )
    flops = 0.0
    for block, tokens in blocks:
        for m in block.modules():
            if isinstance(m, nn.Linear | nn.Conv2d):
                for p in m.parameters(recurse=False):
                    flops += (6 if p.requires_grad else 2) * p.numel() * tokens
    return flops


def peak_flops(args) -> float | None:
    if args.peak_tflops:
        return args.peak_tflops * 1e12
    name = torch.cuda.get_device_name()
    for gpu, peaks in PEAK_TFLOPS.items():
        if gpu in name:
            tflops = peaks.get("bf16" if args.bf16 else "fp32")
            return tflops * 1e12 if tflops else None
    return None


def report(args, size: dict, ours, theirs, runners: dict, device: torch.device) -> None:
    t = size["tiny"]
    ours_total, ours_trainable = count(ours)
    lm_head = theirs.model.vlm_with_expert.vlm.lm_head
    their_total, their_trainable = count(theirs, exclude=lm_head)
    patches, per_image = image_tokens(size)
    image_prefix = CAMERAS * per_image
    lt = size["text_tokens"]
    results = {}
    for name, runner in runners.items():
        elapsed = sum(runner.times)
        results[name] = {
            "samples_per_s": args.batch * len(runner.times) / elapsed if elapsed else float("nan"),
            "median_step_ms": 1e3 * statistics.median(runner.times) if runner.times else float("nan"),
            "params_with_grad": runner.with_grad,
            "peak_memory_gib": runner.peak_memory / 2**30 if device.type == "cuda" else None,
        }
    results["ablate"] |= {"params_total": ours_total, "params_trainable": ours_trainable}
    results["lerobot"] |= {"params_total": their_total, "params_trainable": their_trainable}
    ratio = results["ablate"]["samples_per_s"] / results["lerobot"]["samples_per_s"]
    flops = model_flops(ours, size) if device.type == "cuda" else None
    peak = peak_flops(args) if flops else None

    precision = "bf16 autocast" if args.bf16 else "fp32"
    where = f"{args.threads} thread(s)" if device.type == "cpu" else torch.cuda.get_device_name()
    print(
        f"train throughput: size {args.size}, batch {args.batch}, {args.steps} timed steps per model "
        f"(+{args.warmup} warm-up), {device.type} ({where}), {precision}, trainable: {args.trainable}"
    )
    print(
        f"backbone (both): SmolVLM/Idefics3-shaped, hidden {t['hidden_size']}, {t['layers']} layers, "
        f"{t['heads']} heads / {t['kv_heads']} kv × {t['head_dim']}, MLP {t['intermediate_size']}; "
        f"{CAMERAS} cameras {image_size(size)}² → {patches} patches → {per_image} tokens each; {lt} text tokens"
    )
    print(
        f"expert (both): width {size['expert_width']}, MLP {expert_ffn(size['expert_width'])}, {t['layers']} layers; "
        f"chunk {HORIZON}, state/action dims {STATE_DIM}/{ACTION_DIM} padded to {MAX_DIM}; AdamW, clip {CLIP}"
    )
    rows = [
        (
            "model",
            f"VLAPolicy ({args.conditioning})",
            f"SmolVLA ({args.smolvla_attention})",
        ),
        ("parameters, total (no LM head)", f"{ours_total:,}", f"{their_total:,} ({their_total / ours_total - 1:+.1%})"),
        ("parameters, trainable", f"{ours_trainable:,}", f"{their_trainable:,}"),
        ("parameters, receiving gradients", *(f"{results[n]['params_with_grad']:,}" for n in runners)),
        ("tokens, prefix + suffix", f"{image_prefix + lt} + {1 + HORIZON}", f"{image_prefix + lt + 1} + {HORIZON}"),
        ("median step (ms)", *(f"{results[n]['median_step_ms']:.1f}" for n in runners)),
        ("samples/s", *(f"{results[n]['samples_per_s']:.1f}" for n in runners)),
    ]
    if device.type == "cuda":
        rows.append(("peak memory (GiB)", *(f"{results[n]['peak_memory_gib']:.2f}" for n in runners)))
        if peak:
            for n in runners:
                results[n]["mfu"] = results[n]["samples_per_s"] * flops / peak
            rows.append(("MFU (model FLOPs / peak)", *(f"{results[n]['mfu']:.1%}" for n in runners)))
    print()
    print(f"{'':34s} {'ablate':>28s} {'lerobot':>30s}")
    for label, a, b in rows:
        print(f"{label:34s} {a:>28s} {b:>30s}")
    print()
    print(f"ratio ablate / lerobot SmolVLA: {ratio:.2f}×   (issue target ≥ 1.5×)")
    if flops:
        print(f"model FLOPs per sample ≈ {flops / 1e9:.2f} GFLOP (matmul weights × tokens, 6× trained / 2× frozen)")
    print("remaining differences:")
    notes = [
        "SmolVLA keeps its state token in the prefix (VLM width), ablate in the suffix (expert width)",
        "SmolVLA: eager fp32 attention with expanded GQA keys; ablate: scaled_dot_product_attention",
    ]
    if args.smolvla_attention == "cross_attn":
        notes.insert(0, "SmolVLA cross_attn: every 2nd layer its expert only cross-attends to the VLM's keys/values")
    if args.trainable != "expert":
        notes.append("SmolVLA freezes its last VLM layer and final norm; ablate trains that layer's keys/values")
    else:
        notes.append("SmolVLA trains state_proj in the prefix, so its backward runs through the frozen VLM")
    if args.conditioning == "adarms":
        notes.append("ablate adaRMS time conditioning (SmolVLA: pi0-style action-time MLP)")
    for note in notes:
        print(f"  - {note}")

    if args.json:
        config = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
        out = {"config": config, "size": size, "results": results, "ratio": ratio, "flops_per_sample": flops}
        args.json.write_text(json.dumps(out, indent=2))
        print(f"written: {args.json}")


if __name__ == "__main__":
    main()
