"""Mewsli-X (XTREME-R's entity retrieval): queries and entity texts as utils_mewslix writes them,
the JSON-lines round trip, the features of each split, scoring, and a run through the pool."""

from __future__ import annotations

import json
import re

import datasets
import pytest

from xstilts import features, grid, tasks, training
from xstilts.evaluation import target as target_eval
from xstilts.settings import Training
from xstilts.summary import score
from xstilts.tasks.build import build_demo_local, import_local
from xstilts.tasks.entity_retrieval import MENTION_LANGS, entity_text, mention_query

from conftest import chdir, hub_config

TASK = tasks.get("mewslix")


def test_a_query_is_the_mention_in_its_sentence_marked_and_prepended():
    # utils_mewslix's docstring example, with a second sentence that is cut away; its code
    # puts a space after the closing brace (its docstring shows none)
    text = "The verdict came back for Smith, who stepped down. He left."
    start = text.index("Smith")
    query = mention_query(text, [[0, 50], [51, 59]], start, start + 5, "Smith")
    assert query == "Smith: The verdict came back for { Smith } , who stepped down."
    # braces already in the sentence become parentheses; newlines and double spaces go
    text = "A {b}\nc Smith d  {e}."
    start = text.index("Smith")
    query = mention_query(text, [[0, len(text)]], start, start + 5, "Smith")
    assert query == "Smith: A (b) c { Smith } d (e)."
    # a mention across a sentence break keeps both sentences (the reference asserts none)
    text = "One two. Three four. Five."
    query = mention_query(text, [[0, 8], [9, 20], [21, 26]], 4, 14, "two. Three")
    assert query == "two. Three: One { two. Three } four."


def test_an_entity_is_its_descriptions_sentences_joined():
    description = "First one.\nSecond  one. Third."
    assert entity_text(description, [[0, 10], [11, 23]]) == "First one. Second one."


def test_mewsli_x_files_round_trip_and_each_split_has_its_rows(demo_model, tmp_path):
    from transformers import AutoTokenizer

    sources = [s for split in TASK.splits().values() for s in split]
    rows = {src: TASK.demo_rows(src, 5, seed=1) for src in sources}
    TASK.export_local(rows, tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        "candidate_set_entities.jsonl",
        "wikinews_mentions-test.jsonl",
        "wikipedia_pairs-dev.jsonl",
        "wikipedia_pairs-train.jsonl",
    ]
    # the real layout: an article per line with its mentions; a pair nests mention and entity
    article = json.loads((tmp_path / "wikinews_mentions-test.jsonl").open().readline())
    assert set(article) == {"context", "mentions"}
    assert set(article["mentions"][0]["mention_span"]) == {"start", "end", "text"}
    pair = json.loads((tmp_path / "wikipedia_pairs-train.jsonl").open().readline())
    assert set(pair) == {"contextual_mention", "entity"}
    for src in sources:  # every language reads its own mentions from the shared test file
        assert TASK.import_local(tmp_path, src).to_list() == rows[src].to_list()
    tokenizer = AutoTokenizer.from_pretrained(demo_model)
    pool = TASK.featurize(rows[TASK.pool[0]], TASK.pool[0], tokenizer, 64)
    assert set(pool["kind"]) == {"candidate"} and pool["row_key"] == [f"Q{i}" for i in range(5)]
    de = next(s for s in TASK.test if s.language == "de")
    test = TASK.featurize(rows[de], de, tokenizer, 64)
    assert set(test["kind"]) == {"question"}
    assert test["targets"] == [[e] for e in rows[de]["entity_id"]]
    validation = TASK.featurize(rows[TASK.validation[0]], TASK.validation[0], tokenizer, 64)
    entities = list(dict.fromkeys(rows[TASK.validation[0]]["entity_id"]))
    assert validation["kind"] == ["question"] * 5 + ["candidate"] * len(entities)
    training = TASK.featurize(rows[TASK.train[0]], TASK.train[0], tokenizer, 64)
    assert set(training["kind"]) == {"pair"} and all(training["answer_ids"])
    (tmp_path / "wikinews_mentions-test.jsonl").write_text("{}\n")
    with pytest.raises(Exception, match="lacks Mewsli-X's field 'context'"):
        TASK.import_local(tmp_path, de)
    (tmp_path / "wikinews_mentions-test.jsonl").unlink()
    with pytest.raises(Exception, match=r"wikinews_mentions-test\.jsonl is missing"):
        TASK.import_local(tmp_path, de)


def test_predictions_are_scored_as_xtreme_r_scores_mewsli_x(tmp_path):
    # m1's gold entity at rank 2: 1/2; m2's not among its predictions: 0 -> 25
    predictions = [("m1", ["Q1", "Q2"]), ("m2", ["Q3", "Q2"])]
    gold = [("m1", ["Q2"]), ("m2", ["Q9"])]
    assert TASK.score(predictions, gold)["map@20"] == pytest.approx(25.0)
    TASK.write_predictions(predictions, tmp_path / "pred.json")
    TASK.write_labels(gold, tmp_path / "gold.json")
    assert json.loads((tmp_path / "gold.json").read_text()) == {"m1": ["Q2"], "m2": ["Q9"]}
    scored = score.score_files("mewslix", tmp_path / "pred.json", tmp_path / "gold.json", "de")
    assert scored["map@20"] == pytest.approx(25.0)


def test_the_mewsli_x_directory_is_asked_for_with_the_target():
    config = hub_config(targets={"mewslix": {"epochs": 1}})
    schema = grid.SCHEMA
    with pytest.raises(grid.ConfigError) as err:
        grid.validate(config, schema)
    message = str(err.value)
    assert re.search(r"data\.local\.mewslix \(.*\) is not set", message)
    assert "candidate_set_entities.jsonl" in message and "remove mewslix from targets" in message


def test_every_language_ranks_the_whole_pool(demo_model, tmp_path):
    with chdir(tmp_path):
        build_demo_local("mewslix", tmp_path / "raw", scale=100)
        for split in TASK.splits().values():
            for src in split:
                import_local(src.key, tmp_path / "raw", src.path("demo"))
        sizes = features.prepare("mewslix", demo_model, "demo", 64, tmp_path / "features")
    assert sizes["pool"] == 2000 and all(sizes[f"test.{lang}"] == 200 for lang in MENTION_LANGS)
    settings = Training.from_schema(
        learning_rate=5e-4, batch_size=16, max_steps=5, precision="fp32"
    )
    training.train(
        encoder_dir=demo_model,
        features={"mewslix": tmp_path / "features"},
        settings=settings,
        seed=1,
        out_dir=tmp_path / "out",
        checkpoint_dir=tmp_path / "ckpt",
    )
    result = target_eval.evaluate_target(
        {"target": "mewslix", "languages": ["de", "ja"], "precision": "fp32"},
        {"model": str(tmp_path / "out"), "features": str(tmp_path / "features")},
        {"predictions": str(tmp_path / "pred"), "scores": str(tmp_path / "scores.json")},
    )
    ranked = json.loads((tmp_path / "pred/test-ja.json").read_text())
    assert len(ranked) == 200 and {len(r) for r in ranked.values()} == {20}
    pool = set(datasets.load_from_disk(str(tmp_path / "features/pool"))["row_key"])
    assert set().union(*ranked.values()) <= pool
    assert 0 <= result["languages"]["ja"]["map@20"] <= 100
