import numpy as np

from emgspasm.detect.segmenter import EpisodeSegmenter, runs


def flags(n, *spans, ch=1):
    a = np.zeros((n, ch), dtype=bool)
    for s, e in spans:
        a[s:e + 1, 0] = True
    return a


def test_runs_finds_inclusive_bounds():
    s, e = runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], dtype=bool))
    assert s.tolist() == [1, 4, 7] and e.tolist() == [2, 4, 7]


def test_doublet_is_one_burst_and_isolated_spikes_are_separate_episodes():
    seg = EpisodeSegmenter(1, burst_gap=4, episode_gap=22, max_episode=10_000)
    eps = seg.step(flags(200, (10, 10), (13, 13), (60, 61)), 0) + seg.close_all(199)
    assert [(e.start_hop, e.end_hop) for e in eps] == [(10, 13), (60, 61)]
    assert eps[0].bursts == [(10, 13)]
    assert eps[0].decided_hop == 13 + 22


def test_activity_closer_than_episode_gap_joins_one_episode():
    seg = EpisodeSegmenter(1, burst_gap=4, episode_gap=22, max_episode=10_000)
    eps = seg.step(flags(300, (10, 20), (35, 40), (50, 52)), 0) + seg.close_all(299)
    assert len(eps) == 1
    assert eps[0].bursts == [(10, 20), (35, 40), (50, 52)]


def test_segmentation_is_chunk_invariant_including_long_episode_splits():
    rng = np.random.default_rng(3)
    active = rng.random((3000, 2)) < 0.3
    active[1000:2500, 0] = True

    def run(block):
        seg = EpisodeSegmenter(2, burst_gap=4, episode_gap=22, max_episode=400)
        out = []
        for a in range(0, 3000, block):
            out += seg.step(active[a:a + block], a)
        out += seg.close_all(2999)
        return sorted((e.channel, e.start_hop, e.end_hop, tuple(e.bursts), e.decided_hop)
                      for e in out)

    whole = run(3000)
    assert run(1) == whole
    assert run(97) == whole
    assert any(e[2] - e[1] + 1 == 400 for e in whole)  # the max-length split happened
