"""A tiny causal language model made on the spot, for the tests, the benchmark and trying the
local path out: a BPE tokenizer trained on a few sentences (`tokenizers`) and a 2-layer Llama
with random weights (`transformers`), saved as a local model folder. No download from any hub;
the real LoRA path runs on it in seconds. It writes nonsense: it is for plumbing, not prose."""

# ruff: noqa: S106  (the tokenizer's special tokens, not passwords)
from __future__ import annotations

from pathlib import Path

from marketloop.content.tune.extra import require_tune

CORPUS = [
    "Write a draft for the brief. CRM software helps small teams track deals.",
    "Email marketing automation sends the right message at the right time.",
    "## What a CRM does\n\nContacts, deals and pipelines in one place.",
    "<|system|> <|user|> <|assistant|> You write marketing drafts.",
]


def make_tiny_model(folder: Path, *, hidden: int = 32, layers: int = 2) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    require_tune()

    bpe = Tokenizer(models.BPE(unk_token="<unk>"))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=["<unk>", "<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    bpe.train_from_iterator(CORPUS * 4, trainer)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=bpe, unk_token="<unk>", bos_token="<s>", eos_token="</s>",
        pad_token="<pad>",
    )  # fmt: skip
    config = LlamaConfig(
        vocab_size=tokenizer.vocab_size + 8,
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
