"""The task heads: each takes the encoder and a batch and returns the task's logits.

A task module describes its task without importing torch and builds its head from here.
"""

from __future__ import annotations

import torch
from torch import nn


# ---- Sentence-pair classification ----
class ClassificationHead(nn.Module):
    """RoBERTa's classification head on the first token (<s>)."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, num_labels)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        x = self.dropout(hidden.last_hidden_state[:, 0])
        x = torch.tanh(self.dense(x))
        return self.out_proj(self.dropout(x))


# ---- Extractive QA ----
class SpanHead(nn.Module):
    """Start and end logits for every token."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.qa_outputs = nn.Linear(hidden_size, 2)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        return self.qa_outputs(self.dropout(hidden.last_hidden_state))  # (batch, length, 2)


# ---- Tagging ----
class TokenHead(nn.Module):
    """A linear layer over every token's last hidden state."""

    def __init__(self, hidden_size: int, num_labels: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(hidden_size, num_labels)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"])
        return self.classifier(self.dropout(hidden.last_hidden_state))  # (batch, length, tags)


# ---- Multiple choice ----
class ChoiceHead(nn.Module):
    """One score per choice: RoBERTa's classification head with a single output."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.out_proj = nn.Linear(hidden_size, 1)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        b, c, length = batch["input_ids"].shape
        hidden = encoder(
            input_ids=batch["input_ids"].view(b * c, length),
            attention_mask=batch["attention_mask"].view(b * c, length),
        )
        x = self.dropout(hidden.last_hidden_state[:, 0])
        x = self.out_proj(self.dropout(torch.tanh(self.dense(x))))
        scores = x.view(b, c)
        # a padded (missing) choice can never win
        return scores.masked_fill(~batch["choice_mask"], torch.finfo(scores.dtype).min)


# ---- Sentence retrieval (BUCC, Tatoeba, task similarity): no training ----
class MeanPooler(nn.Module):
    """Mean over the attention mask of the hidden states after transformer layer ``layer``
    (``hidden_states[layer]``; index 0 is the embedding output)."""

    def __init__(self, layer: int):
        super().__init__()
        self.layer = layer

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        out = encoder(
            input_ids=batch["input_ids"],
            attention_mask=batch["attention_mask"],
            output_hidden_states=True,
        )
        hidden = out.hidden_states[self.layer].float()
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1)


# ---- Masked LM (BERT/XLM-R dynamic masking) ----
MASK_RATE = 0.15  # of the tokens between <s> and </s>
MASK_TOKEN, RANDOM_TOKEN = 0.8, 0.1  # of the chosen ones (the rest stay as they are)


def mask_tokens(
    input_ids: torch.Tensor,
    attention_mask: torch.Tensor,
    mask_id: int | torch.Tensor,
    vocab_size: int,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(chosen, inputs, targets): the positions chosen for prediction (bool, at least one per
    batch), the input ids with the chosen ones masked, and the original ids there."""
    device = input_ids.device
    lengths = attention_mask.sum(dim=1)
    positions = torch.arange(input_ids.shape[1], device=device)
    # between <s> (position 0) and </s> (the last real token)
    inner = (positions > 0) & (positions[None, :] < (lengths[:, None] - 1))
    draw = torch.rand(input_ids.shape, generator=generator, device=device)
    chosen = inner & (draw < MASK_RATE)
    if not chosen.any() and inner.any():  # a batch of very short lines: predict one token
        first = inner.nonzero()[0]
        chosen[first[0], first[1]] = True
    how = torch.rand(input_ids.shape, generator=generator, device=device)
    inputs = input_ids.clone()
    inputs[chosen & (how < MASK_TOKEN)] = mask_id
    swap = chosen & (how >= MASK_TOKEN) & (how < MASK_TOKEN + RANDOM_TOKEN)
    random_ids = torch.randint(vocab_size, input_ids.shape, generator=generator, device=device)
    inputs[swap] = random_ids[swap]
    return chosen, inputs, input_ids[chosen]


class MaskedLMHead(nn.Module):
    """XLM-R's LM head: dense, GELU, LayerNorm, then the input embeddings (tied) as the output
    layer; logits only at the chosen positions."""

    def __init__(self, hidden_size: int):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.layer_norm = nn.LayerNorm(hidden_size, eps=1e-5)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        embeddings = encoder.get_input_embeddings()
        chosen, inputs, targets = mask_tokens(
            batch["input_ids"],
            batch["attention_mask"],
            int(batch["mask_id"]),
            embeddings.num_embeddings,
        )
        batch["mlm_targets"] = targets  # what the loss compares with
        hidden = encoder(input_ids=inputs, attention_mask=batch["attention_mask"])
        x = self.layer_norm(nn.functional.gelu(self.dense(hidden.last_hidden_state[chosen])))
        return nn.functional.linear(x, embeddings.weight)


# ---- Dual encoders (LAReQA, Mewsli-X) ----
class DualEncoderHead(nn.Module):
    """Embeds the batch's ``input_ids``; with ``answer_ids`` too (training), returns the
    question × answer logits instead: dot products of the embeddings times ``logit_scale``.
    The pooler, the normalisation and the products run in fp32 under any autocast. No dropout
    of its own (``dropout`` is ignored), as BertForRetrieval has none after the encoder."""

    def __init__(self, hidden_size: int, dropout: float):
        super().__init__()
        self.dense = nn.Linear(hidden_size, hidden_size)
        self.logit_scale = nn.Parameter(torch.tensor(100.0))

    def embed(self, encoder: nn.Module, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        first = encoder(input_ids=ids, attention_mask=mask).last_hidden_state[:, 0]
        with torch.autocast(first.device.type, enabled=False):
            return nn.functional.normalize(torch.tanh(self.dense(first.float())), dim=-1)

    def forward(self, encoder: nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        questions = self.embed(encoder, batch["input_ids"], batch["attention_mask"])
        if "answer_ids" not in batch:
            return questions
        answers = self.embed(encoder, batch["answer_ids"], batch["answer_mask"])
        with torch.autocast(questions.device.type, enabled=False):
            return self.logit_scale * questions @ answers.T
