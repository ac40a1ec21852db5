"""Sentence retrieval, scored straight on an arm's encoder (no training): BUCC 2018, Tatoeba.

As jiant (the paper's framework) and google-research/xtreme do (PAPER.md §1.5): a sentence's
embedding is the mean over all its tokens (special tokens included) of the hidden states after
one transformer layer (14 of 24 for XLM-R Large; configurable per model), compared by cosine.

* Tatoeba (36 languages → English): the English side is sorted alphabetically, so the identity
  order of the source file cannot leak; each English sentence retrieves its nearest
  source-language sentence; top-1 accuracy. The Hub copy (``google/xtreme`` ``tatoeba.<iso3>``)
  has 35 of the 36 languages; Telugu, and XTREME-R's five additions, come from
  ``mteb/tatoeba-bitext-mining`` (the same LASER Tatoeba v1 test files).
* BUCC 2018 (de, fr, ru, zh ↔ en): parallel pairs are mined from the whole comparable corpora
  (margin-based k-NN both ways, "max" mode, one-to-one); the score threshold that maximises F1
  on the BUCC "sample" (dev) set is applied to the "training" (test) set. ``bucc2018`` reads the
  original release files (``data.local.bucc2018``, the layout of xtreme's download script);
  ``bucc2018_mteb`` reads the Hub's full-corpus copy ``mteb/BUCC``, which has no dev set, so its
  threshold is an oracle one (chosen on the test gold) and its scores are labelled so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xstilts.data import demo, schema
from xstilts.data.schema import Features, Sequence, Value
from xstilts.data.sources import Source
from xstilts.errors import UserError
from xstilts.metrics import accuracy
from xstilts.tasks.base import Task, map_rows, pad

if TYPE_CHECKING:  # imported where used: describing a task (the DAG) needs neither
    import datasets
    import torch
    from torch import nn


_S = Value("string")
TATOEBA = Features(
    {"source_sentence": _S, "target_sentence": _S, "source_lang": _S, "target_lang": _S}
)
MTEB_BUCC = Features(
    {
        "sentence1": Sequence(_S),
        "sentence2": Sequence(_S),
        "gold": Sequence(Sequence(Value("int32"))),  # 1-based pairs (data/hub.py)
    }
)
# a side of one BUCC release split, as the import step stores it: one row per sentence; the gold
# file's pairs on the rows of the non-English side (``gold``: the English id, or "")
BUCC_RELEASE = Features({"side": _S, "id": _S, "sentence": _S, "gold": _S})

# XTREME's 36 Tatoeba languages (evaluate.py order) and the ISO 639-3 codes of the Hub configs
TATOEBA_ISO3 = {
    "ar": "ara", "he": "heb", "vi": "vie", "id": "ind", "jv": "jav", "tl": "tgl", "eu": "eus",
    "ml": "mal", "ta": "tam", "te": "tel", "af": "afr", "nl": "nld", "de": "deu", "el": "ell",
    "bn": "ben", "hi": "hin", "mr": "mar", "ur": "urd", "fa": "pes", "fr": "fra", "it": "ita",
    "pt": "por", "es": "spa", "bg": "bul", "ru": "rus", "ja": "jpn", "ka": "kat", "ko": "kor",
    "th": "tha", "sw": "swh", "zh": "cmn", "kk": "kaz", "tr": "tur", "et": "est", "fi": "fin",
    "hu": "hun",
}  # fmt: skip
# XTREME-R's additions
TATOEBA_MORE_ISO3 = {"az": "aze", "lt": "lit", "pl": "pol", "uk": "ukr", "ro": "ron"}
# Languages google/xtreme lacks (it has no tatoeba.tel config), read from
# mteb/tatoeba-bitext-mining: the same LASER Tatoeba v1 files, config "<iso3>-eng", split test;
# sentence1 the language's side, sentence2 English, row i of each a translation pair
TATOEBA_FROM_MTEB = {"te": 234, **dict.fromkeys(TATOEBA_MORE_ISO3, 1_000)}  # → rows
MTEB_TATOEBA = Features({"sentence1": _S, "sentence2": _S, "lang": _S})  # lang: "tel-eng"
BUCC_LANGS = ("de", "fr", "ru", "zh")
# the release files of one language pair and split (xtreme download_data.sh renames the BUCC
# "sample" set to dev and "training" to test; it deletes the test gold, which is then optional)
BUCC_SPLITS = {"dev": "validation", "test": "test"}


def bucc_files(lang: str, split: str) -> tuple[str, str, str]:
    return tuple(f"{lang}-en.{split}.{x}" for x in (lang, "en", "gold"))  # type: ignore[return-value]


def read_bucc_release(directory: str | Path, lang: str, split: str) -> datasets.Dataset:
    """One split of the BUCC 2018 release (``<lang>-en.<split>.{<lang>,en,gold}``, lines
    "<id>\\t<sentence>" and "<src id>\\t<en id>") → rows in ``BUCC_RELEASE``."""

    src_file, en_file, gold_file = (Path(directory) / f for f in bucc_files(lang, split))
    for f in (src_file, en_file):
        if not f.is_file():
            raise UserError(
                f"BUCC file {f} is missing: data.local.bucc2018 must name the bucc2018 directory "
                "that google-research/xtreme's download script writes (see config/README.md)"
            )
    gold: dict[str, str] = {}
    if gold_file.is_file():
        for n, line in enumerate(gold_file.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                if line.count("\t") != 1:
                    raise UserError(
                        f"{gold_file} line {n} is not '<id><TAB><English id>': restore the "
                        "file from the BUCC 2018 release (google-research/xtreme's "
                        "download_data.sh) and run the workflow again"
                    )
                s, t = line.split("\t")
                gold[s.strip()] = t.strip()
    rows: dict[str, list[str]] = {c: [] for c in BUCC_RELEASE}
    for side, f in ((lang, src_file), ("en", en_file)):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            if "\t" not in line:
                raise UserError(f"{f} line {n} is not '<id><TAB><sentence>': check the file")
            sid, sentence = line.split("\t", 1)
            rows["side"].append(side)
            rows["id"].append(sid)
            rows["sentence"].append(sentence.strip())
            rows["gold"].append(gold.get(sid, "") if side == lang else "")
    return schema.from_dict(rows, BUCC_RELEASE)


def write_bucc_release(ds: datasets.Dataset, directory: Path, lang: str, split: str) -> None:
    """The inverse of ``read_bucc_release`` (the demo writes its copy this way)."""
    directory.mkdir(parents=True, exist_ok=True)
    src_file, en_file, gold_file = (directory / f for f in bucc_files(lang, split))
    for side, f in ((lang, src_file), ("en", en_file)):
        f.write_text(
            "".join(f"{r['id']}\t{r['sentence']}\n" for r in ds if r["side"] == side),
            encoding="utf-8",
        )
    gold_file.write_text(
        "".join(f"{r['id']}\t{r['gold']}\n" for r in ds if r["side"] == lang and r["gold"]),
        encoding="utf-8",
    )


def tatoeba_source(lang: str) -> Source:
    return Source(
        "google/xtreme", f"tatoeba.{TATOEBA_ISO3[lang]}", "validation", TATOEBA, lang, 1_000
    )


def tatoeba_mteb_source(lang: str) -> Source:
    return Source(
        "mteb/tatoeba-bitext-mining",
        f"{({**TATOEBA_ISO3, **TATOEBA_MORE_ISO3})[lang]}-eng",
        "test",
        MTEB_TATOEBA,
        lang,
        TATOEBA_FROM_MTEB[lang],
    )


def bucc_release_source(lang: str, split: str, n: int) -> Source:
    return Source(
        "local/bucc2018",
        f"{lang}-en",
        split,
        BUCC_RELEASE,
        lang,
        n,
        local_files=bucc_files(lang, split)[: 3 if split == "dev" else 2],
        # the test gold, which download_data.sh deletes, is read when it is there
        local_optional=bucc_files(lang, split)[2:] if split == "test" else (),
    )


def bucc_mteb_source(lang: str, n: int) -> Source:
    return Source("mteb/BUCC", f"{lang}-en", "test", MTEB_BUCC, lang, n)


Embed = Callable[["datasets.Dataset"], "torch.Tensor"]


@dataclass(frozen=True)
class RetrievalTask(Task):
    """Features: one row per sentence, ``side`` "src" (the non-English language) or "trg"
    (English), its ``id``, ``text``, ``gold`` (the partner's id, or "") and ``input_ids``."""

    oracle_threshold: bool = False  # BUCC without a dev set
    benchmark_name: str = ""  # the XTREME task it scores ("bucc2018"); default: its name
    signal_rate: float = 0.6  # demo: share of a sentence's words its translation keeps

    @property
    def xtreme_name(self) -> str:
        return self.benchmark_name or self.name

    def splits(self, languages: Iterable[str] | None = None) -> dict[str, tuple[Source, ...]]:
        keep = set(self.languages if languages is None else languages)
        out = {f"dev.{s.language}": (s,) for s in self.validation if s.language in keep}
        out |= {self.test_split(s.language): (s,) for s in self.test if s.language in keep}
        return out

    # ---- demo data: sentence pairs sharing name-like words, plus unpaired sentences ----
    def _pairs(self, lang: str, n: int, seed: int) -> list[tuple[str, str]]:
        src, en = demo.Writer(lang, seed), demo.Writer("en", seed + 1)
        pairs = []
        for _ in range(n):
            shared = [src.name() for _ in range(3)]
            a, b = src.words_(3, 8) + shared, en.words_(3, 8) + shared
            src.rng.shuffle(a)
            en.rng.shuffle(b)
            pairs.append((demo.join(a, lang), demo.join(b, "en")))
        return pairs

    def demo_rows(self, source: Source, n: int, seed: int) -> datasets.Dataset:
        import datasets

        lang = source.language
        if source.features is MTEB_TATOEBA:
            pairs = self._pairs(lang, n, seed)
            return datasets.Dataset.from_dict(
                {
                    "sentence1": [a for a, _ in pairs],
                    "sentence2": [b for _, b in pairs],
                    "lang": [source.config] * len(pairs),
                },
                features=MTEB_TATOEBA.to_datasets(),
            )
        if source.features is TATOEBA:
            pairs = self._pairs(lang, n, seed)
            return datasets.Dataset.from_dict(
                {
                    # the Hub copy keeps the trailing newline of the original files
                    "source_sentence": [a + "\n" for a, _ in pairs],
                    "target_sentence": [b + "\n" for _, b in pairs],
                    "source_lang": [TATOEBA_ISO3[lang]] * n,
                    "target_lang": ["eng"] * n,
                },
                features=TATOEBA.to_datasets(),
            )
        # comparable corpora: n gold pairs among 2n source and 2.5n English sentences, and a
        # repeated sentence on each side (real crawls have them; mining collapses them)
        pairs = self._pairs(lang, n, seed)
        filler_src, filler_en = demo.Writer(lang, seed + 2), demo.Writer("en", seed + 3)
        src = [a for a, _ in pairs] + [filler_src.sentence(5, 12) for _ in range(n)]
        en = [b for _, b in pairs] + [filler_en.sentence(5, 12) for _ in range(3 * n // 2)]
        src.append(src[-1])
        en.append(en[-1])
        order_src = filler_src.rng.permutation(len(src))
        order_en = filler_en.rng.permutation(len(en))
        src_id = {int(i): f"{lang}-{k + 1:09d}" for k, i in enumerate(order_src)}
        en_id = {int(i): f"en-{k + 1:09d}" for k, i in enumerate(order_en)}
        if source.features is MTEB_BUCC:  # one row; gold pairs are 1-based positions
            pos_src = {int(i): k for k, i in enumerate(order_src)}
            pos_en = {int(i): k for k, i in enumerate(order_en)}
            return datasets.Dataset.from_dict(
                {
                    "sentence1": [[src[int(i)] for i in order_src]],
                    "sentence2": [[en[int(i)] for i in order_en]],
                    "gold": [[[pos_src[i] + 1, pos_en[i] + 1] for i in range(n)]],
                },
                features=MTEB_BUCC.to_datasets(),
            )
        rows: dict[str, list[str]] = {c: [] for c in BUCC_RELEASE}
        for k in sorted(src_id, key=src_id.get):
            rows["side"].append(lang)
            rows["id"].append(src_id[k])
            rows["sentence"].append(src[k])
            rows["gold"].append(en_id[k] if k < n else "")
        for k in sorted(en_id, key=en_id.get):
            rows["side"].append("en")
            rows["id"].append(en_id[k])
            rows["sentence"].append(en[k])
            rows["gold"].append("")
        return schema.from_dict(rows, BUCC_RELEASE)

    # ---- local release files ----
    def import_local(self, directory: Path, source: Source) -> datasets.Dataset:
        return read_bucc_release(directory, source.language, source.split)

    def export_local(self, splits: dict[Source, datasets.Dataset], directory: Path) -> None:
        for src, ds in splits.items():
            write_bucc_release(ds, directory, src.language, src.split)

    # ---- features: one row per sentence ----
    def sentence_rows(self, ds: datasets.Dataset, source: Source) -> dict[str, list[str]]:
        rows: dict[str, list[str]] = {"side": [], "id": [], "text": [], "gold": []}

        def add(side: str, sid: str, text: str, gold: str) -> None:
            rows["side"].append(side)
            rows["id"].append(sid)
            rows["text"].append(text)
            rows["gold"].append(gold)

        if source.features in (TATOEBA, MTEB_TATOEBA):
            # row i of each side are translations (google/xtreme's keep a trailing "\n")
            src, trg = (
                ("source_sentence", "target_sentence")
                if source.features is TATOEBA
                else ("sentence1", "sentence2")
            )
            for i, r in enumerate(ds):
                add("src", str(i), r[src].strip(), str(i))
            for i, r in enumerate(ds):
                add("trg", str(i), r[trg].strip(), str(i))
        elif source.features is MTEB_BUCC:
            (row,) = list(ds)  # the whole corpus pair is one row; gold pairs are 1-based
            gold = {int(i) - 1: int(j) - 1 for i, j in row["gold"]}
            for i, text in enumerate(row["sentence1"]):
                add("src", str(i), text.strip(), str(gold[i]) if i in gold else "")
            for j, text in enumerate(row["sentence2"]):
                add("trg", str(j), text.strip(), "")
        else:
            for r in ds:
                add("src" if r["side"] != "en" else "trg", r["id"], r["sentence"], r["gold"])
        return rows

    def featurize(self, ds: datasets.Dataset, source: Source, tokenizer, max_length: int):
        import datasets

        rows = datasets.Dataset.from_dict(self.sentence_rows(ds, source))

        def encode(batch):
            enc = tokenizer(batch["text"], truncation=True, max_length=max_length)
            return {"input_ids": enc["input_ids"], "length": [len(x) for x in enc["input_ids"]]}

        return map_rows(rows, encode, batched=True)

    def collate(self, rows: dict[str, list[Any]], pad_id: int) -> dict[str, torch.Tensor]:
        ids = pad(rows["input_ids"], pad_id)
        return {"input_ids": ids, "attention_mask": (ids != pad_id).long()}

    # ---- the "head" is the pooler; nothing is trained ----
    def build_head(self, hidden_size: int, dropout: float) -> nn.Module:
        raise TypeError(f"{self.name} is scored on the encoder directly; it has no trained head")

    def loss(self, logits: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        raise TypeError(f"{self.name} is not trained")

    def decode(self, logits: list[torch.Tensor], features: datasets.Dataset) -> list[Any]:
        raise TypeError(f"{self.name} decodes with evaluate_language (it needs every split)")

    def gold(self, features: datasets.Dataset) -> list[str]:
        """The gold lines of the XTREME label file."""
        if self.xtreme_name == "tatoeba":
            trg = _side(features, "trg")
            return [features[i]["gold"] for i in _tatoeba_order(features, trg)]
        return [f"{r['id']}\t{r['gold']}" for r in features if r["side"] == "src" and r["gold"]]

    def score(self, predictions: list[str], gold: list[str], lang: str) -> dict[str, float]:
        from xstilts.metrics import retrieval as rm

        if self.xtreme_name == "tatoeba":
            return {"accuracy": accuracy(predictions, gold)}
        pairs = [tuple(line.split("\t")) for line in predictions]
        return rm.bucc_f1(pairs, [tuple(line.split("\t")) for line in gold])

    def write_predictions(self, predictions: list[str], path: Path) -> None:
        path.write_text("".join(f"{p}\n" for p in predictions), encoding="utf-8")

    def example_stats(self, predictions: list[str], gold: list[str], lang: str) -> list[dict]:
        """Tatoeba: right or not per query. BUCC: per source sentence in a mined or a gold
        pair, its right pairs, mined pairs and gold pairs (F1 = 2·tp / (mined + gold))."""
        if self.xtreme_name == "tatoeba":
            return super().example_stats(predictions, gold, lang)
        mined = {tuple(line.split("\t")) for line in predictions}
        ref = {tuple(line.split("\t")) for line in gold}
        per_source: dict[str, dict[str, int]] = {}
        for pairs, key in ((mined, "pred"), (ref, "gold"), (mined & ref, "tp")):
            for src, _ in pairs:
                counts = per_source.setdefault(src, {"tp": 0, "pred": 0, "gold": 0})
                counts[key] += 1
        return [{"example": src} | per_source[src] for src in sorted(per_source)]

    def metrics_from_sums(self, sums: dict, n) -> dict:
        if self.xtreme_name == "tatoeba":
            return super().metrics_from_sums(sums, n)
        import numpy as np

        tp, pred, ref = (np.asarray(sums[k], dtype=float) for k in ("tp", "pred", "gold"))
        with np.errstate(divide="ignore", invalid="ignore"):  # all 0 without a right pair
            return {
                "f1": np.where(tp > 0, 200.0 * tp / (pred + ref), 0.0),
                "precision": np.where(tp > 0, 100.0 * tp / pred, 0.0),
                "recall": np.where(tp > 0, 100.0 * tp / ref, 0.0),
            }

    # ---- evaluation ----
    def evaluate_language(
        self, lang: str, features: dict[str, datasets.Dataset], embed: Embed
    ) -> tuple[list[str], dict[str, float], dict[str, float]]:
        """Predictions (lines of the XTREME file), test scores and dev scores (empty without a
        dev set) of one language; ``features`` holds its splits ("test.<lang>", and
        "dev.<lang>" for BUCC with a dev set)."""
        from xstilts.metrics import retrieval as rm

        test = features[self.test_split(lang)]
        if self.xtreme_name == "tatoeba":
            src, trg = _side(test, "src"), _side(test, "trg")
            emb = embed(test)
            order = _tatoeba_order(test, trg)
            nearest = rm.tatoeba_search(emb[src], emb[order])
            predictions = [test[src[int(i)]]["id"] for i in nearest]
            return predictions, self.score(predictions, self.gold(test), lang), {}
        test_scores = self._mine(test, embed)
        dev, validation = features.get(f"dev.{lang}"), {}
        if dev is not None:
            dev_gold, dev_scores = set(_gold_pairs(dev)), self._mine(dev, embed)
            threshold, _ = rm.optimize_threshold(dev_scores, dev_gold)
            validation = rm.bucc_f1(rm.extract(dev_scores, threshold), dev_gold)
        else:  # no dev set: the threshold that is best on the test gold itself
            threshold, _ = rm.optimize_threshold(test_scores, set(_gold_pairs(test)))
        mined = sorted(rm.extract(test_scores, threshold))
        predictions = [f"{s}\t{t}" for s, t in mined]
        scores = self.score(predictions, self.gold(test), lang) if _gold_pairs(test) else {}
        return predictions, scores | {"threshold": float(threshold)}, validation

    def _mine(self, features: datasets.Dataset, embed: Embed) -> dict[tuple[str, str], float]:
        """Candidate pairs (source id, English id) → margin score, mined among the distinct
        sentences of each side (xtreme's ``text_load_unify``)."""
        from xstilts.metrics import retrieval as rm

        emb, texts, ids = embed(features), features["text"], features["id"]
        sides = []
        for side in ("src", "trg"):
            rows = _side(features, side)
            side_texts = [texts[i] for i in rows]
            unique, mapping = rm.unify_sentences(side_texts)
            sides.append(
                (
                    _first_rows(emb[rows], mapping, len(unique)),
                    unique,
                    rm.sentence_ids(side_texts, [ids[i] for i in rows]),
                )
            )
        (x, src_u, src_ids), (y, trg_u, trg_ids) = sides
        # xtreme writes only the mined pairs that score above 0 (its default threshold)
        mined = [m for m in rm.mine_bitext(x, y) if m[2] > 0]
        return rm.candidate_id_scores(mined, src_u, trg_u, src_ids, trg_ids)


def _side(features: datasets.Dataset, side: str) -> list[int]:
    return [i for i, s in enumerate(features["side"]) if s == side]


def _tatoeba_order(features: datasets.Dataset, trg: list[int]) -> list[int]:
    from xstilts.metrics import retrieval as rm

    texts = features["text"]
    return [trg[k] for k in rm.sorted_english_order([texts[i] for i in trg])]


def _gold_pairs(features: datasets.Dataset) -> list[tuple[str, str]]:
    return [
        (sid, g)
        for sid, g, side in zip(features["id"], features["gold"], features["side"], strict=True)
        if side == "src" and g
    ]


def _first_rows(emb: torch.Tensor, mapping: list[int], n: int) -> torch.Tensor:
    """One embedding per unique sentence (the first occurrence's)."""
    first = [-1] * n
    for row, u in enumerate(mapping):
        if first[u] < 0:
            first[u] = row
    return emb[first]


TATOEBA_LANGS = tuple(TATOEBA_ISO3)

TASKS = [
    RetrievalTask(
        name="tatoeba",
        role="retrieval",
        description="Tatoeba: 36 languages → English, top-1 retrieval accuracy (XTREME-R: 41)",
        languages=TATOEBA_LANGS,
        more_languages=tuple(TATOEBA_MORE_ISO3),
        metrics=("accuracy",),
        avg_metrics=("accuracy",),
        default_max_seq_length=512,
        test=tuple(
            tatoeba_mteb_source(lang) if lang in TATOEBA_FROM_MTEB else tatoeba_source(lang)
            for lang in (*TATOEBA_LANGS, *TATOEBA_MORE_ISO3)
        ),
    ),
    RetrievalTask(
        name="bucc2018",
        role="retrieval",
        description="BUCC 2018 mining from the release files; dev threshold → test",
        languages=BUCC_LANGS,
        metrics=("f1", "precision", "recall", "threshold"),
        avg_metrics=("f1",),
        default_max_seq_length=512,
        validation=tuple(bucc_release_source(lang, "dev", 2_000) for lang in BUCC_LANGS),
        test=tuple(bucc_release_source(lang, "test", 20_000) for lang in BUCC_LANGS),
    ),
    RetrievalTask(
        name="bucc2018_mteb",
        role="retrieval",
        description="BUCC 2018 mining from the Hub's mteb/BUCC (no dev set: oracle threshold)",
        languages=BUCC_LANGS,
        metrics=("f1", "precision", "recall", "threshold"),
        avg_metrics=("f1",),
        default_max_seq_length=512,
        test=tuple(bucc_mteb_source(lang, 20_000) for lang in BUCC_LANGS),
        oracle_threshold=True,
        benchmark_name="bucc2018",
    ),
]

__all__ = ["TASKS", "RetrievalTask", "read_bucc_release", "write_bucc_release"]
