"""QA features and decoding: windows over long contexts, exact character spans, no-answer."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest
import torch

from xstilts import tasks
from xstilts.data import demo
from xstilts.errors import UserError
from xstilts.tasks import qa, qa_spans

WORDS = demo.lexicon("en")
XQUAD = tasks.get("xquad")
SQUAD_V2 = tasks.get("squad_v2")


@pytest.fixture(scope="module")
def tokenizer(demo_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(demo_model)


def _featurize(task, tokenizer, rows, max_length=64):
    source = task.splits()["train"][0]
    ds = datasets.Dataset.from_dict(rows, features=source.features.to_datasets())
    return task.featurize(ds, source, tokenizer, max_length)


def _row(context, question, answer, start):
    return {
        "id": "q1",
        "title": "t",
        "context": context,
        "question": question,
        "answers": {"text": [answer] if answer else [], "answer_start": [start] if answer else []},
    }


def _rows(*rows):
    return {k: [r[k] for r in rows] for k in rows[0]}


def test_windows_cover_the_context_and_step_by_the_doc_stride(tokenizer, monkeypatch):
    monkeypatch.setattr(qa_spans, "DOC_STRIDE", 10)
    context = " ".join(WORDS[:200])
    wins = list(qa_spans.windows(tokenizer, ["where?"], [context], max_length=48))
    assert len(wins) > 3
    q_len = len(tokenizer("where?", add_special_tokens=False)["input_ids"])
    room = 48 - q_len - 4
    firsts = []
    for ex, ids, offsets in wins:
        assert ex == 0 and len(ids) <= 48
        assert ids[0] == tokenizer.bos_token_id and ids[-1] == tokenizer.eos_token_id
        inside = [o for o in offsets if o is not None]
        firsts.append(inside[0][0])
        # every context token maps back to its own characters (a lone "▁" has no text)
        for (s, e), tok in zip(inside, ids[q_len + 3 : -1], strict=True):
            text = tokenizer.decode([tok]).strip()
            assert not text or context[s:e].strip() == text
    ctx_tokens = tokenizer(context, add_special_tokens=False, return_offsets_mapping=True)
    starts = [o[0] for o in ctx_tokens["offset_mapping"]]
    # window k starts 10·k context tokens in; the last one reaches the end of the context
    assert firsts == [starts[10 * k] for k in range(len(wins))]
    assert [o for o in wins[-1][2] if o is not None][-1][1] == len(context)
    assert all(len([o for o in w[2] if o is not None]) == room for w in wins[:-1])


def test_an_answer_split_by_a_window_edge_points_at_s_there(tokenizer, monkeypatch):
    monkeypatch.setattr(qa_spans, "DOC_STRIDE", 8)
    words = WORDS[:60]
    context = " ".join(words)
    answer = " ".join(words[20:23])
    start = context.index(answer)
    feats = _featurize(XQUAD, tokenizer, _rows(_row(context, "which?", answer, start)))
    hits = 0
    for s, e, _ids, offsets in zip(
        feats["start_positions"],
        feats["end_positions"],
        feats["input_ids"],
        feats["offsets"],
        strict=True,
    ):
        if (s, e) == (0, 0):
            # this window does not hold the whole answer
            inside = [o for o in offsets if o[0] >= 0]
            assert inside[0][0] > start or inside[-1][1] < start + len(answer)
        else:
            hits += 1
            assert context[offsets[s][0] : offsets[e][1]] == answer
    assert hits >= 1 and hits < len(feats)


def _logits_for(features, start_char, end_char, null=-10.0):
    """Logits that peak on the tokens covering [start_char, end_char) in every window."""
    out = []
    for offsets in features["offsets"]:
        arr = np.full((len(offsets) + 3, 2), -5.0, dtype=np.float32)  # +3: batch padding
        arr[0] = null
        for i, (s, e) in enumerate(offsets):
            if s >= 0 and s == start_char:
                arr[i, 0] = 5.0
            if e >= 0 and e == end_char:
                arr[i, 1] = 5.0
        out.append(torch.from_numpy(arr))
    return out


@pytest.mark.parametrize(
    ("context", "answer"),
    [
        ("The Normans were in Normandy in the tenth century, a region in France.", "Normandy"),
        ("诺曼人是居住在法国诺曼底地区的人民，他们在十世纪定居。", "法国诺曼底"),
        ("Die  Normannen   lebten in der Normandie.", "der Normandie"),
    ],
)
def test_decoding_returns_the_exact_characters_of_the_context(tokenizer, context, answer):
    start = context.index(answer)
    feats = _featurize(XQUAD, tokenizer, _rows(_row(context, "where?", answer, start)))
    offsets = [o for w in feats["offsets"] for o in w if o[0] >= 0]
    # the span's first and last token boundaries, as the tokenizer cut the text
    s_char = min(s for s, e in offsets if e > start)
    e_char = max(e for s, e in offsets if s < start + len(answer))
    preds = XQUAD.decode(_logits_for(feats, s_char, e_char), feats)
    assert preds == [("q1", context[s_char:e_char])]
    assert answer in preds[0][1]
    if "诺" not in context:
        assert preds[0][1] == answer  # token boundaries fall on the answer's characters


def test_squad_v2_predicts_no_answer_when_the_null_score_wins(tokenizer, tmp_path):
    context = "The Normans were in Normandy."
    feats = _featurize(SQUAD_V2, tokenizer, _rows(_row(context, "who?", "", -1)))
    assert feats["start_positions"] == [0] and feats["answer_texts"] == [[]]
    start = context.index("Normandy")
    offs = [o for o in feats["offsets"][0] if o[0] >= 0]
    s_char = min(s for s, e in offs if e > start)
    e_char = max(e for s, e in offs if s < start + 8)
    span = context[s_char:e_char]
    # (id, prediction at threshold 0, null score - best span score, best span): the null
    # score is 20 + 20 at <s>, the span's 5 + 5
    null_wins = SQUAD_V2.decode(_logits_for(feats, s_char, e_char, null=20.0), feats)
    assert null_wins == [("q1", "", 30.0, span)]
    best = SQUAD_V2.decode(_logits_for(feats, s_char, e_char, null=-20.0), feats)
    assert best == [("q1", span, -50.0, span)]
    # the predictions file holds the answer at threshold 0
    SQUAD_V2.write_predictions(null_wins, Path(tmp_path) / "p.json")
    assert json.loads((Path(tmp_path) / "p.json").read_text()) == {"q1": ""}
    # SQuAD 1.1 has no null option: the best span is returned whatever the null score
    assert XQUAD.decode(_logits_for(feats, s_char, e_char, null=20.0), feats)[0][1] != ""


def test_span_longer_than_max_answer_length_is_not_chosen():
    offsets = [None] + [(i, i + 1) for i in range(50)]
    start = np.zeros(51)
    end = np.zeros(51)
    start[1], end[45] = 10, 10  # 45 tokens: too long
    end[3] = 5
    score, s, e = qa_spans.best_span(start, end, offsets)
    assert (s, e) == (0, 3)  # tokens 1..3 → characters [0, 3)


def test_demo_qa_rows_hold_their_answers():
    for key in (
        "rajpurkar/squad/plain_text/train",
        "google/xquad/xquad.zh/validation",
        "rajpurkar/squad_v2/squad_v2/train",
    ):
        task, source = tasks.all_sources()[key]
        ds = task.demo_rows(source, 30, seed=1)
        assert ds.features == source.features.to_datasets()
        for row in ds:
            for text, start in zip(
                row["answers"]["text"], row["answers"]["answer_start"], strict=True
            ):
                assert row["context"][start : start + len(text)] == text
        if "squad_v2" in key:
            assert 0 < sum(not r["answers"]["text"] for r in ds) < len(ds)


def test_tydiqa_trains_on_its_english_part_only(tmp_path):
    from xstilts.data.sources import load

    task = tasks.get("tydiqa")
    train = task.splits()["train"][0]
    ds = task.demo_rows(train, 20, seed=2)  # 20 rows in each of the 9 languages
    assert {i.split("-")[0] for i in ds["id"]} == {p[:-1] for p in qa.TYDIQA_PREFIX.values()}
    ds.to_parquet(str(tmp_path / "t.parquet"))
    english = load(tmp_path / "t.parquet", train)
    # every English question, none held out (XTREME fine-tunes on all 3,696)
    assert english["id"] == [i for i in ds["id"] if i.startswith("english-")]
    assert len(english) == 20
    # no English dev of its own, no tenth of its training data, no test data: model selection
    # and the choice of arm read SQuAD 1.1 dev without XQuAD's questions
    assert task.splits()["validation"] == (qa.squad_selection(),)
    assert task.validation_rule.startswith("SQuAD 1.1 dev without XQuAD's questions")
    test_ar = task.splits()["test.ar"][0]
    assert test_ar.key == train.key.replace("train", "validation")
    assert test_ar.id_prefix == "arabic-"


def test_every_model_trained_on_squad_selects_without_xquads_questions():
    from xstilts.features import source_paths

    xquad_en = qa.xquad("en")
    for name in ("squad_v1", "xquad", "mlqa", "tydiqa"):
        (validation,) = tasks.get(name).validation
        assert validation.key == "rajpurkar/squad/plain_text/validation"
        assert validation.exclude_ids == (xquad_en,)
        # XQuAD's English file is an input of the prepare step, XQuAD tested or not
        assert str(xquad_en.path("demo")) in source_paths(name, "demo")


def test_prepared_tydiqa_trains_on_all_english_rows_and_selects_on_squad_dev_less_xquad(
    tmp_path, demo_model
):
    """The demo at scale 100, prepared as the workflow prepares it: TyDiQA's file holds 498
    questions (49,881 / 100) in each of 9 languages, all 498 English ones train; SQuAD dev's
    copy holds 2 x 200 questions, XQuAD's English copy 200 of them (1,190 / 100, floor 200),
    so 200 are left to select on, none of them XQuAD's."""
    from xstilts import features
    from xstilts.data.disk import load_split
    from xstilts.data.sources import load
    from xstilts.tasks.build import build_demo_split

    from conftest import chdir

    task = tasks.get("tydiqa")
    with chdir(tmp_path):
        for key, (_, src) in tasks.all_sources().items():
            if str(src.path("demo")) in features.source_paths("tydiqa", "demo"):
                build_demo_split(key, src.path("demo"), scale=100)
        features.prepare("tydiqa", demo_model, "demo", 256, tmp_path / "features")
        raw = load(task.train[0].path("demo"))
        squad_dev = load(qa.squad_selection().path("demo"))["id"]
        xquad_en = set(load(qa.xquad("en").path("demo"))["id"])
    english = [i for i in raw["id"] if i.startswith("english-")]
    assert len(raw) == 9 * 498 and len(english) == 498
    train = load_split(tmp_path / "features/train")
    assert list(dict.fromkeys(train["example_id"])) == english
    assert len(squad_dev) == 400 and len(xquad_en) == 200 and xquad_en <= set(squad_dev)
    selection = set(load_split(tmp_path / "features/validation")["example_id"])
    assert not selection & xquad_en
    assert selection == set(squad_dev) - xquad_en and len(selection) == 200


def test_demo_contexts_need_several_windows(tokenizer):
    task, source = tasks.all_sources()["google/xquad/xquad.en/validation"]
    ds = task.demo_rows(source, 40, seed=4)
    feats = task.featurize(ds, source, tokenizer, 256)  # the demo config's QA length
    per_example = len(feats) / len(ds)
    assert per_example >= 1.5
    assert len(set(feats["example_id"])) == len(ds)


# ---- XTREME's translate-train SQuAD (local files) ----------------------------------------------

TRANSLATED = {
    "version": "1.1",
    "data": [
        {
            "title": "Berlin",
            "paragraphs": [
                {
                    "context": "Berlin ist die Hauptstadt. Sie hat 3,6 Millionen Einwohner.",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "Was ist Berlin?",
                            "answers": [{"text": "die Hauptstadt", "answer_start": 11}],
                        },
                        {  # the translated answer is not in the translated context
                            "id": "q2",
                            "question": "Wie alt ist Berlin?",
                            "answers": [{"text": "800 Jahre", "answer_start": -1}],
                        },
                    ],
                },
                {
                    "context": "Die Spree fließt durch Berlin.",
                    "qas": [
                        {  # an offset that points elsewhere: dropped too
                            "id": "q3",
                            "question": "Was fließt?",
                            "answers": [{"text": "Die Spree", "answer_start": 4}],
                        },
                        {
                            "id": "q4",
                            "question": "Wodurch fließt sie?",
                            "answers": [
                                {"text": "Berlin", "answer_start": 23},
                                {"text": "durch Berlin", "answer_start": 17},
                            ],
                        },
                    ],
                },
            ],
        }
    ],
}


def test_translate_train_squad_is_read_from_xtremes_files_without_unfound_answers(tmp_path):
    import json

    squad = tasks.get("squad_v1")
    source = squad.language_source("de")
    assert source.key == "local/squad_translate_train/en-de/train"
    assert source.local_files == ("squad.translate.train.en-de.json",)
    assert squad.source_languages == ("ar", "de", "el", "es", "hi", "ru", "th", "tr", "vi", "zh")
    (tmp_path / "squad.translate.train.en-de.json").write_text(
        json.dumps(TRANSLATED, ensure_ascii=False), encoding="utf-8"
    )
    rows = squad.import_local(tmp_path, source)
    assert rows.features == qa.SQUAD.to_datasets()
    assert rows["id"] == ["q1", "q4"]
    assert rows["title"] == ["Berlin", "Berlin"]
    assert rows["context"][1] == "Die Spree fließt durch Berlin."
    # training keeps the first answer, as run_squad.py does
    assert rows["answers"] == [
        {"text": ["die Hauptstadt"], "answer_start": [11]},
        {"text": ["Berlin"], "answer_start": [23]},
    ]
    (tmp_path / "squad.translate.train.en-de.json").write_text("{}", encoding="utf-8")
    with pytest.raises(UserError, match="not a SQuAD JSON file.*remove de from the translated"):
        squad.import_local(tmp_path, source)


def test_the_demo_writes_translate_train_files_that_read_back_the_same(tmp_path):
    squad = tasks.get("squad_v1")
    source = squad.language_source("th")  # written without spaces
    rows = squad.demo_rows(source, 12, seed=3)
    squad.export_local({source: rows}, tmp_path)
    back = squad.import_local(tmp_path, source)
    assert back.to_list() == rows.to_list()


def test_selection_data_without_a_row_left_stops_with_the_file_to_rebuild(tmp_path):
    """An older demo copy of SQuAD dev held exactly XQuAD's demo ids: nothing is left to
    select on, and the prepare step says which file to build again."""
    from xstilts import features
    from xstilts.data.sources import load
    from xstilts.tasks.build import build_demo_split

    from conftest import chdir

    xquad_en, selection = qa.xquad("en"), qa.squad_selection()
    with chdir(tmp_path):
        build_demo_split(xquad_en.key, xquad_en.path("demo"), scale=100)
        rows = load(xquad_en.path("demo"))
        old = rows.add_column("title", ["t"] * len(rows)).select_columns(list(qa.SQUAD))
        with pytest.raises(UserError, match="rajpurkar/squad/plain_text/validation.parquet has"):
            features._without_ids(old, selection.exclude_ids, "demo", selection)
