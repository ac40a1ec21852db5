"""Retrieval metrics (BUCC 2018 margin mining, Tatoeba) against hand-worked examples.

Every expected number is worked out by hand in the comment next to it, or (chunked kNN) taken
from a brute-force full similarity matrix computed here; none comes from the code under test.
"""

from __future__ import annotations

import math

import pytest
import torch

from xstilts.metrics import accuracy
from xstilts.metrics import retrieval as r


def t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def assert_rows(actual: torch.Tensor, expected, tol: float = 1e-12) -> None:
    expected = expected if isinstance(expected, torch.Tensor) else t(expected)
    torch.testing.assert_close(actual, expected, rtol=tol, atol=tol)


def brute_force_knn(x: torch.Tensor, y: torch.Tensor, k: int):
    """Full cosine matrix, each row sorted stably (equal values keep the lower index first)."""
    sims = torch.nn.functional.normalize(x, dim=1) @ torch.nn.functional.normalize(y, dim=1).T
    values, indices = torch.sort(sims, dim=1, descending=True, stable=True)
    return values[:, :k], indices[:, :k]


# ---- kNN ------------------------------------------------------------------------------------

# y0 = (1,0), y1 = (0,1), y2 = (1,1)/sqrt2, y3 = (-1,0), y4 = (3,4)/5 = (0.6,0.8) once normalised.
Y_2D = t([[1, 0], [0, 1], [1, 1], [-1, 0], [3, 4]])
# x0 = (1,0); x1 = (0,2) -> (0,1) once normalised.
X_2D = t([[1, 0], [0, 2]])
S2 = 1 / math.sqrt(2)


def test_knn_tiny_2d_known_cosines():
    sims, idx = r.knn(X_2D, Y_2D, 3)
    # x0 . y = [1, 0, 0.7071, -1, 0.6] -> top 3: y0 1, y2 0.7071, y4 0.6
    # x1 . y = [0, 1, 0.7071, 0, 0.8]  -> top 3: y1 1, y4 0.8, y2 0.7071
    assert idx.tolist() == [[0, 2, 4], [1, 4, 2]]
    assert_rows(sims, [[1.0, S2, 0.6], [1.0, 0.8, S2]])


def test_knn_k_above_database_size_and_zero_ties():
    sims, idx = r.knn(X_2D, Y_2D, 10)
    # k = min(10, 5) = 5: every row of y, sorted.
    # x0: 1 (y0), 0.7071 (y2), 0.6 (y4), 0 (y1), -1 (y3)
    # x1: 1 (y1), 0.8 (y4), 0.7071 (y2), then y0 and y3 both 0: lower index first -> y0, y3
    assert sims.shape == idx.shape == (2, 5)
    assert idx.tolist() == [[0, 2, 4, 1, 3], [1, 4, 2, 0, 3]]
    assert sims[1].tolist() == pytest.approx([1.0, 0.8, S2, 0.0, 0.0], abs=1e-12)


@pytest.mark.parametrize(("chunk", "db_chunk"), [(1, 1), (1, 2), (2, 3), (1, 100), (100, 1)])
def test_knn_ties_go_to_the_lower_index_across_chunks(chunk, db_chunk):
    # cosines of x0 = (1,0) with y = (0,1), (2,0), (1,0), (5,0), (1,1): 0, 1, 1, 1, 0.7071.
    # Three rows tie at 1 for two places: rule keeps y1 and y2 (lowest indices), then y3.
    x = t([[1, 0]])
    y = t([[0, 1], [2, 0], [1, 0], [5, 0], [1, 1]])
    for k, expected in [(2, [1, 2]), (3, [1, 2, 3]), (4, [1, 2, 3, 4])]:
        sims, idx = r.knn(x, y, k, chunk_size=chunk, database_chunk_size=db_chunk)
        assert idx[0].tolist() == expected
        assert sims[0].tolist() == pytest.approx([1.0, 1.0, 1.0, S2][:k], abs=1e-12)


@pytest.mark.parametrize(
    ("chunk", "db_chunk"),
    [(1, 1), (2, 3), (3, 2), (4, 5), (5, 7), (13, 17), (100, 100), (6, 1000)],
)
@pytest.mark.parametrize("k", [1, 4, 6])
def test_knn_chunked_equals_brute_force(chunk, db_chunk, k):
    # chunks smaller than k (1, 2, 3 < 4, 6), uneven last chunks (13 = 5+5+3, 17 = 7+7+3),
    # chunks larger than the data (100, 1000).
    gen = torch.Generator().manual_seed(7)
    x = torch.randn(13, 6, generator=gen, dtype=torch.float64)
    y = torch.randn(17, 6, generator=gen, dtype=torch.float64) * 3.0  # scale: normalised away
    sims, idx = r.knn(x, y, k, chunk_size=chunk, database_chunk_size=db_chunk)
    ref_sims, ref_idx = brute_force_knn(x, y, k)
    assert torch.equal(idx, ref_idx)
    assert torch.allclose(sims, ref_sims, atol=1e-12)


def test_knn_never_builds_more_than_one_chunk(monkeypatch):
    shapes = []
    block = r._similarity_block

    def spy(queries, database):
        shapes.append((len(queries), len(database)))
        return block(queries, database)

    monkeypatch.setattr(r, "_similarity_block", spy)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(7, 5, generator=gen, dtype=torch.float64)
    y = torch.randn(9, 5, generator=gen, dtype=torch.float64)
    sims, idx = r.knn(x, y, 3, chunk_size=2, database_chunk_size=2)
    # query chunks 2,2,2,1 x database chunks 2,2,2,2,1 -> 4 * 5 = 20 blocks, none above 2 x 2
    assert len(shapes) == 20
    assert max(q for q, _ in shapes) == 2 and max(d for _, d in shapes) == 2
    ref_sims, ref_idx = brute_force_knn(x, y, 3)
    assert torch.equal(idx, ref_idx)
    assert torch.allclose(sims, ref_sims, atol=1e-12)


def test_knn_float32_default_chunks_and_empty_database():
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(30, 8, generator=gen)
    sims, idx = r.knn(x, x, 1)
    # each row is its own nearest neighbour, cosine 1
    assert idx[:, 0].tolist() == list(range(30))
    assert sims[:, 0].tolist() == pytest.approx([1.0] * 30, abs=1e-5)
    sims, idx = r.knn(x, torch.empty(0, 8), 4)
    assert sims.shape == idx.shape == (30, 0)


def test_knn_rejects_bad_inputs():
    with pytest.raises(ValueError):
        r.knn(t([[1, 0]]), t([[1, 0, 0]]), 1)  # dimensions differ
    with pytest.raises(ValueError):
        r.knn(torch.tensor([[1, 0]]), t([[1, 0]]), 1)  # integer tensor
    with pytest.raises(ValueError):
        r.knn(t([[1, 0]]), t([[1, 0]]), 0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_knn_on_cuda_matches_cpu():
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(50, 16, generator=gen, dtype=torch.float64)
    y = torch.randn(70, 16, generator=gen, dtype=torch.float64)
    sims, idx = r.knn(x.cuda(), y.cuda(), 4, chunk_size=8, database_chunk_size=16)
    ref_sims, ref_idx = brute_force_knn(x, y, 4)
    assert sims.device.type == "cuda"
    assert torch.equal(idx.cpu(), ref_idx)
    assert torch.allclose(sims.cpu(), ref_sims, atol=1e-12)


# ---- ratio margin and mining ----------------------------------------------------------------

# y = the unit basis, so each x row lists its cosines with y0, y1, y2 (x rows are unit length:
# 0.8^2 + 0.6^2 = 1, 0.6^2 + 0.8^2 = 1, 0.28^2 + 0.96^2 = 0.0784 + 0.9216 = 1).
#
#   S     y0    y1    y2
#   x0   0.8   0.6   0.0
#   x1   0.6   0.0   0.8
#   x2   0.0   0.28  0.96
#
# k = 2:
#   x2y: x0 -> y0 .8, y1 .6 (mean .70); x1 -> y2 .8, y0 .6 (mean .70); x2 -> y2 .96, y1 .28 (.62)
#   y2x: y0 -> x0 .8, x1 .6 (mean .70); y1 -> x0 .6, x2 .28 (mean .44); y2 -> x2 .96, x1 .8 (.88)
MARGIN_X = t([[0.8, 0.6, 0.0], [0.6, 0.0, 0.8], [0.0, 0.28, 0.96]])
MARGIN_Y = t([[1, 0, 0], [0, 1, 0], [0, 0, 1]])


def test_margin_scores_3x3_hand_example():
    c = r.margin_candidates(MARGIN_X, MARGIN_Y, k=2)
    assert c.forward_indices.tolist() == [[0, 1], [2, 0], [2, 1]]
    assert c.backward_indices.tolist() == [[0, 1], [0, 2], [2, 1]]
    # forward: cos / ((x2y_mean[x] + y2x_mean[y]) / 2)
    #   x0: y0 .8 / ((.70 + .70) / 2) = .8 / .70 = 1.142857;  y1 .6 / ((.70 + .44) / 2) = .6 / .57
    #   x1: y2 .8 / ((.70 + .88) / 2) = .8 / .79;             y0 .6 / .70
    #   x2: y2 .96 / ((.62 + .88) / 2) = .96 / .75 = 1.28;    y1 .28 / ((.62 + .44) / 2) = .28 / .53
    assert_rows(
        c.forward_scores, [[0.8 / 0.7, 0.6 / 0.57], [0.8 / 0.79, 0.6 / 0.7], [1.28, 0.28 / 0.53]]
    )
    # backward: cos / ((y2x_mean[y] + x2y_mean[x]) / 2)
    #   y0: x0 .8 / .70;  x1 .6 / .70
    #   y1: x0 .6 / ((.44 + .70) / 2) = .6 / .57;  x2 .28 / ((.44 + .62) / 2) = .28 / .53
    #   y2: x2 .96 / ((.88 + .62) / 2) = 1.28;     x1 .8 / ((.88 + .70) / 2) = .8 / .79
    assert_rows(
        c.backward_scores, [[0.8 / 0.7, 0.6 / 0.7], [0.6 / 0.57, 0.28 / 0.53], [1.28, 0.8 / 0.79]]
    )


@pytest.mark.parametrize(("chunk", "db_chunk"), [(1, 1), (2, 3), (3, 2), (5, 7), (100, 100)])
def test_margin_candidates_both_ways_equal_brute_force(chunk, db_chunk):
    # one pass over the blocks serves both directions: each must equal its own brute force
    gen = torch.Generator().manual_seed(13)
    x = torch.randn(11, 5, generator=gen, dtype=torch.float64)
    y = torch.randn(8, 5, generator=gen, dtype=torch.float64)
    c = r.margin_candidates(x, y, k=3, chunk_size=chunk, database_chunk_size=db_chunk)
    fwd_sims, fwd_idx = brute_force_knn(x, y, 3)
    bwd_sims, bwd_idx = brute_force_knn(y, x, 3)
    assert torch.equal(c.forward_indices, fwd_idx)
    assert torch.equal(c.backward_indices, bwd_idx)
    # the margin formula on the brute-force neighbours
    fwd_mean, bwd_mean = fwd_sims.mean(1), bwd_sims.mean(1)
    assert_rows(c.forward_scores, fwd_sims / ((fwd_mean[:, None] + bwd_mean[fwd_idx]) / 2))
    assert_rows(c.backward_scores, bwd_sims / ((bwd_mean[:, None] + fwd_mean[bwd_idx]) / 2))


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_backward_ties_go_to_the_lower_source(chunk):
    # y0 = (1,0) against x = (0,1), (2,0), (1,0): cosines 0, 1, 1 -> nearest source x1, not x2,
    # whether x1 and x2 share a query chunk (3) or not (1, 2).
    c = r.margin_candidates(t([[0, 1], [2, 0], [1, 0]]), t([[1, 0]]), k=1, chunk_size=chunk)
    assert c.backward_indices.tolist() == [[1]]


def test_max_mining_one_to_one_with_greedy_conflicts():
    # forward bests:  x0 -> y0 1.142857, x1 -> y2 1.012658, x2 -> y2 1.28
    # backward bests: y0 -> x0 1.142857, y1 -> x0 1.052632, y2 -> x2 1.28
    # pooled by score: (x2,y2) 1.28 [twice], (x0,y0) 1.142857 [twice], (x0,y1) 1.052632,
    # (x1,y2) 1.012658. Greedy: keep (x2,y2); keep (x0,y0); (x0,y1) loses, x0 is taken;
    # (x1,y2) loses, y2 is taken. x1 and y1 stay unmatched.
    mined = r.mine_bitext(MARGIN_X, MARGIN_Y, k=2)
    assert [(s, tg) for s, tg, _ in mined] == [(2, 2), (0, 0)]
    assert [score for _, _, score in mined] == pytest.approx([1.28, 0.8 / 0.7], rel=1e-12)


def test_max_mining_equal_scores_keep_pool_order():
    # x0 = y0 = y1 = e0. k = 4 -> min(4, 2) = 2 neighbours forward, min(4, 1) = 1 backward.
    # x2y_mean[x0] = (1 + 1) / 2 = 1; y2x_mean[y0] = y2x_mean[y1] = 1. Every score is
    # 1 / ((1 + 1) / 2) = 1 exactly. Forward best of x0: first maximum = nearest = y0.
    # Pool: fwd (x0,y0), bwd y0 (x0,y0), bwd y1 (x0,y1), all 1.0: a stable sort keeps this
    # order, so (x0,y0) is kept and (x0,y1) is refused (x0 used).
    mined = r.mine_bitext(t([[1, 0]]), t([[1, 0], [2, 0]]))
    assert mined == [(0, 0, 1.0)]


def test_mining_with_an_empty_side():
    assert r.mine_bitext(torch.empty(0, 3, dtype=torch.float64), MARGIN_Y) == []
    assert r.mine_bitext(MARGIN_X, torch.empty(0, 3, dtype=torch.float64)) == []
    c = r.margin_candidates(MARGIN_X, torch.empty(0, 3, dtype=torch.float64))
    # forward: 3 sources x min(4, 0) = 0 neighbours; backward: 0 targets x min(4, 3) = 3
    assert c.forward_indices.shape == (3, 0) and c.backward_indices.shape == (0, 3)


# ---- duplicates, ids, threshold --------------------------------------------------------------


def test_unify_sentences_collapses_identical_texts():
    # "a" rows 0, 2 -> unique 0; "b" rows 1, 4 -> unique 1; "c" -> 2; " a" differs from "a".
    unique, rows = r.unify_sentences(["a", "b", "a", "c", "b", " a"])
    assert unique == ["a", "b", "c", " a"]
    assert rows == [0, 1, 0, 2, 1, 3]


def test_sentence_ids_drop_repeated_texts():
    # "Hallo" and "Hallo " strip to the same text -> repeated -> no id for it at all.
    ids = r.sentence_ids(["Hallo", "Welt", "Hallo ", "Tschüss"], ["de-1", "de-2", "de-3", "de-4"])
    assert ids == {"Welt": "de-2", "Tschüss": "de-4"}
    with pytest.raises(ValueError):
        r.sentence_ids(["a"], ["1", "2"])


def test_candidate_id_scores_map_rows_to_ids_and_keep_max():
    src_unique, trg_unique = ["Welt ", "Hallo"], ["world", "hello"]
    src_ids, trg_ids = {"Welt": "de-2"}, {"world": "en-1", "hello": "en-2"}
    mined = [(0, 0, 1.1), (1, 1, 1.5), (0, 0, 1.3), (0, 1, 0.9), (0, 0, 1.2)]
    # (0,0) -> ("de-2","en-1"): max(1.1, 1.3, 1.2) = 1.3; (1,1): "Hallo" has no id -> dropped;
    # (0,1) -> ("de-2","en-2") 0.9. "Welt " is stripped before the lookup.
    scores = r.candidate_id_scores(mined, src_unique, trg_unique, src_ids, trg_ids)
    assert scores == {("de-2", "en-1"): 1.3, ("de-2", "en-2"): 0.9}


# Candidates in insertion order (not score order), |gold| = 4 (s6-t6 never mined):
#   s1-t1 1.50 gold | s2-t2 1.40 no | s3-t3 1.30 gold | s4-t4 1.20 gold | s5-t5 1.10 no
# Walking by score:
#   n=1: correct 1, P 1,   R 1/4 -> F1 2*.25/1.25           = 0.4
#   n=2: correct 1, P 1/2, R 1/4 -> F1 2*.125/.75           = 0.3333
#   n=3: correct 2, P 2/3, R 1/2 -> F1 (2/3)/(7/6) = 4/7    = 0.5714
#   n=4: correct 3, P 3/4, R 3/4 -> F1                      = 0.75   <- best
#   n=5: correct 3, P 3/5, R 3/4 -> F1 .9/1.35              = 0.6667
# threshold = (1.20 + 1.10) / 2 = 1.15.
CANDIDATES = {
    ("s3", "t3"): 1.30,
    ("s5", "t5"): 1.10,
    ("s1", "t1"): 1.50,
    ("s4", "t4"): 1.20,
    ("s2", "t2"): 1.40,
}
GOLD = {("s1", "t1"), ("s3", "t3"), ("s4", "t4"), ("s6", "t6")}


def test_optimize_threshold_midpoint():
    threshold, f1 = r.optimize_threshold(CANDIDATES, GOLD)
    assert threshold == pytest.approx(1.15)
    assert f1 == pytest.approx(75.0)


def test_bucc_f1_after_extraction():
    predicted = r.extract(CANDIDATES, 1.15)
    # scores >= 1.15: s3 (1.30), s1 (1.50), s4 (1.20), s2 (1.40), in insertion order
    assert predicted == [("s3", "t3"), ("s1", "t1"), ("s4", "t4"), ("s2", "t2")]
    # 3 of 4 predicted are gold, 3 of 4 gold found -> P 75, R 75, F1 75
    assert r.bucc_f1(predicted, GOLD) == pytest.approx(
        {"f1": 75.0, "precision": 75.0, "recall": 75.0}
    )
    # >= is inclusive: a threshold equal to a score keeps that candidate
    assert r.extract(CANDIDATES, 1.40) == [("s1", "t1"), ("s2", "t2")]


def test_optimize_threshold_best_cut_is_the_last_candidate():
    # a 1.5 gold | b 1.4 no | c 1.3 gold; |gold| = 2
    #   n=1: P 1,   R 1/2 -> F1 2/3
    #   n=2: P 1/2, R 1/2 -> F1 1/2
    #   n=3: P 2/3, R 1   -> F1 (4/3)/(5/3) = 0.8 <- best, the last item: the reference would
    #   index items[3] (IndexError); here threshold = its own score 1.3, so all three are kept.
    cands = {("a", "A"): 1.5, ("b", "B"): 1.4, ("c", "C"): 1.3}
    gold = {("a", "A"), ("c", "C")}
    threshold, f1 = r.optimize_threshold(cands, gold)
    assert threshold == 1.3
    assert f1 == pytest.approx(80.0)
    kept = r.extract(cands, threshold)
    assert kept == list(cands)
    # P 2/3 = 66.67, R 100, F1 80
    assert r.bucc_f1(kept, gold) == pytest.approx(
        {"f1": 80.0, "precision": 200.0 / 3, "recall": 100.0}
    )


def test_optimize_threshold_without_any_correct_candidate():
    # no candidate is gold: the reference's initial values, threshold 0 and F1 0
    assert r.optimize_threshold({("a", "A"): 1.2}, {("b", "B")}) == (0.0, 0.0)


def test_optimize_threshold_cut_between_equal_scores():
    # a 2.0 gold | b 1.0 gold | c 1.0 no (b before c: stable sort keeps insertion order)
    #   n=1: P 1, R 1/2 -> 2/3; n=2: P 1, R 1 -> F1 1.0 <- best; threshold (1.0 + 1.0) / 2 = 1.0
    # as in the reference, the cut falls between equal scores, so extraction keeps c too:
    # P 2/3, R 1 -> F1 80 (not the 100 reported for the cut).
    cands = {("a", "A"): 2.0, ("b", "B"): 1.0, ("c", "C"): 1.0}
    gold = {("a", "A"), ("b", "B")}
    assert r.optimize_threshold(cands, gold) == (1.0, 100.0)
    assert r.bucc_f1(r.extract(cands, 1.0), gold)["f1"] == pytest.approx(80.0)


def test_bucc_pipeline_with_a_repeated_sentence():
    # German file: Hund (de-1), Katze (de-2), Hund (de-3), Maus (de-4); English: dog, cat, house.
    de, de_ids = ["Hund", "Katze", "Hund", "Maus"], ["de-1", "de-2", "de-3", "de-4"]
    en, en_ids = ["dog", "cat", "house"], ["en-1", "en-2", "en-3"]
    de_unique, de_rows = r.unify_sentences(de)
    en_unique, _ = r.unify_sentences(en)
    assert de_unique == ["Hund", "Katze", "Maus"] and de_rows == [0, 1, 0, 2]
    # Embeddings of the unique sentences: Hund e0, Katze e1, Maus e2; dog e0, cat e1,
    # house (0, .6, .8). Cosines:      dog  cat  house
    #                          Hund     1    0    0
    #                          Katze    0    1    .6
    #                          Maus     0    0    .8
    # k = 4 -> 3 neighbours (everything). x2y means: Hund 1/3, Katze 1.6/3, Maus .8/3;
    # y2x means: dog 1/3, cat 1/3, house 1.4/3.
    # Hund-dog:    1 / ((1/3 + 1/3) / 2)     = 3
    # Katze-cat:   1 / ((1.6/3 + 1/3) / 2)   = 6 / 2.6 = 2.307692
    # Katze-house: .6 / ((1.6/3 + 1.4/3) / 2) = 1.2;  Maus-house: .8 / ((.8/3 + 1.4/3) / 2)
    #              = 4.8 / 2.2 = 2.181818 (house's best; Katze's best is cat)
    x = t([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    y = t([[1, 0, 0], [0, 1, 0], [0, 0.6, 0.8]])
    mined = r.mine_bitext(x, y)
    assert [(s, tg) for s, tg, _ in mined] == [(0, 0), (1, 1), (2, 2)]
    assert [score for _, _, score in mined] == pytest.approx([3.0, 6 / 2.6, 4.8 / 2.2], rel=1e-12)
    # Hund is on two lines -> no id -> Hund-dog is dropped even though it is gold.
    scores = r.candidate_id_scores(
        mined, de_unique, en_unique, r.sentence_ids(de, de_ids), r.sentence_ids(en, en_ids)
    )
    assert list(scores) == [("de-2", "en-2"), ("de-4", "en-3")]
    gold = {("de-1", "en-1"), ("de-2", "en-2")}
    # by score: de-2/en-2 gold (P 1, R 1/2, F1 2/3), de-4/en-3 not (P 1/2, R 1/2, F1 1/2)
    # -> cut after the first: threshold (6/2.6 + 4.8/2.2) / 2 = 2.244755
    threshold, f1 = r.optimize_threshold(scores, gold)
    assert threshold == pytest.approx((6 / 2.6 + 4.8 / 2.2) / 2, rel=1e-12)
    assert f1 == pytest.approx(200.0 / 3)
    assert r.bucc_f1(r.extract(scores, threshold), gold) == pytest.approx(
        {"f1": 200.0 / 3, "precision": 100.0, "recall": 50.0}
    )


# ---- Tatoeba --------------------------------------------------------------------------------


def test_sorted_english_order_is_stable_on_stripped_text():
    # stripped: b, a, b, a -> a (row 1), a (row 3), b (row 0), b (row 2)
    assert r.sorted_english_order(["b", "a", "b", "a "]) == [1, 3, 0, 2]


def test_tatoeba_accuracy_with_sorted_english_side():
    # source (German) rows, in file order, and their English translations:
    #   0 Guten Morgen - Good morning | 1 Danke - Thanks | 2 Auf Wiedersehen - Goodbye
    # plus a 4th source row with no English partner (so the index side is visibly the source).
    english = ["Good morning", "Thanks", "Goodbye"]
    # sorted: "Good morning" < "Goodbye" (' ' < 'b') < "Thanks" -> original rows [0, 2, 1]
    order = r.sorted_english_order(english)
    assert order == [0, 2, 1]
    source = t([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0.7, 0.7]])
    english_sorted = t(
        [
            [0.9, 0.1, 0.0],  # Good morning: cos s0 .9/.9055 = .994 -> predicts 0 (right)
            [0.1, 0.0, 0.9],  # Goodbye: cos s2 .9/.9055 = .994, s3 .703 -> predicts 2 (right)
            [0.5, 0.2, 0.1],  # Thanks: |v| = sqrt(.3) = .5477; cos s0 .913, s1 .365,
            #                   s2 .183, s3 .3*.7071/.5477 = .387 -> predicts 0 (wrong, gold 1)
        ]
    )
    predictions = r.tatoeba_search(source, english_sorted)
    assert predictions.tolist() == [0, 2, 0]
    # gold = original rows [0, 2, 1]: 2 of 3 right -> 66.67 %
    assert accuracy(predictions.tolist(), order) == pytest.approx(200.0 / 3)
    # the identity labels [0, 1, 2] would score 1 of 3: the sort matters
    assert accuracy(predictions.tolist(), [0, 1, 2]) == pytest.approx(100.0 / 3)


def test_tatoeba_search_needs_a_source_side():
    with pytest.raises(ValueError):
        r.tatoeba_search(torch.empty(0, 3), t([[1, 0, 0]]))
