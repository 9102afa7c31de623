"""Motor-unit discharge times: renewal (Gaussian-ISI) trains driven by a time-varying rate.

Why time rescaling: a renewal train with mean ISI 1/rate(t) and coefficient of variation `cv`
is a unit-rate renewal train (ISIs ~ N(1, cv)) in "operational time" Λ(t) = ∫ rate dt, mapped
back through Λ⁻¹. That makes every unit's train one cumulative sum and one interpolation – no
per-spike Python loop – and it handles recruitment/derecruitment naturally (Λ is flat while a
unit is silent, so the train pauses). The ISI CV is the class signature the detector must learn
(docs/labels.md: voluntary 0.1–0.2, cramp ≈ 0.45, rigidity 0.03–0.1).

Rates are tabulated on a control grid (CTRL_FS); they vary slowly (ramps ≥ 50 ms, modulation
≤ 2.5 Hz) while discharge times themselves are continuous (sub-sample exact).
"""

from __future__ import annotations

import numpy as np

CTRL_FS = 500.0
"""Control-grid rate (Hz) on which excitation and firing rates are tabulated."""
MIN_OP_ISI = 0.1
"""Shortest ISI as a fraction of the current mean ISI (refractoriness; truncates N(1, cv))."""
_MAX_CHUNK_ELEMENTS = 4_000_000


def renewal_trains(
    rng: np.random.Generator,
    t0: float,
    rates: np.ndarray,
    cv: float | np.ndarray,
    *,
    ctrl_fs: float = CTRL_FS,
) -> tuple[np.ndarray, np.ndarray]:
    """Discharge times of renewal trains for each row of `rates`.

    `rates` (n_units, n_ctrl), Hz, with rates[:, k] holding over
    [t0 + k/ctrl_fs, t0 + (k+1)/ctrl_fs). `cv` is a scalar or one value per unit. The first
    discharge has a random phase (uniform over one ISI). Returns (times, unit_rows) sorted by
    unit, then time.
    """
    n_units, n_ctrl = rates.shape
    cv_all = np.broadcast_to(np.asarray(cv, dtype=np.float64), (n_units,))
    all_times: list[np.ndarray] = []
    all_units: list[np.ndarray] = []
    rows_per_chunk = max(1, _MAX_CHUNK_ELEMENTS // (n_ctrl + 1))
    for a in range(0, n_units, rows_per_chunk):
        t, u = _chunk(
            rng, t0, rates[a : a + rows_per_chunk], cv_all[a : a + rows_per_chunk], ctrl_fs
        )
        all_times.append(t)
        all_units.append(u + a)
    if not all_times:
        return np.empty(0), np.empty(0, dtype=np.intp)
    return np.concatenate(all_times), np.concatenate(all_units)


def _chunk(
    rng: np.random.Generator, t0: float, rates: np.ndarray, cv: np.ndarray, ctrl_fs: float
) -> tuple[np.ndarray, np.ndarray]:
    n_units, n_ctrl = rates.shape
    lam = np.zeros((n_units, n_ctrl + 1))
    np.cumsum(rates, axis=1, out=lam[:, 1:])
    lam /= ctrl_fs
    total = lam[:, -1]
    active = np.flatnonzero(total > 0.0)
    if active.size == 0:
        return np.empty(0), np.empty(0, dtype=np.intp)
    tot, cva = total[active], cv[active]
    counts = np.ceil(tot + 8.0 * cva * np.sqrt(tot) + 3.0).astype(np.intp)
    owner = np.repeat(np.arange(active.size), counts)
    starts = np.cumsum(counts) - counts
    isi = 1.0 + cva[owner] * rng.standard_normal(owner.size)
    isi = np.maximum(isi, MIN_OP_ISI)
    isi[starts] = rng.uniform(0.0, 1.0, active.size)  # random phase of the first discharge
    op = np.cumsum(isi)
    op -= np.repeat(op[starts] - isi[starts], counts)
    keep = op < tot[owner]
    op, owner = op[keep], owner[keep]
    # Invert Λ for all units at once: offset each row so the flattened table is monotone.
    stride = float(tot.max()) + 2.0
    offsets = np.arange(active.size) * stride
    xp = (lam[active] + offsets[:, None]).ravel()
    grid = t0 + np.arange(n_ctrl + 1) / ctrl_fs
    fp = np.broadcast_to(grid, (active.size, n_ctrl + 1)).ravel()
    times = np.interp(op + offsets[owner], xp, fp)
    return times, active[owner]


def constant_rate_trains(
    rng: np.random.Generator,
    t0: float,
    t1: float,
    rates_hz: np.ndarray,
    cv: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Steady renewal trains (rigidity): one constant rate and CV per unit over [t0, t1)."""
    n_ctrl = max(1, int(np.ceil((t1 - t0) * CTRL_FS)))
    rates = np.repeat(np.asarray(rates_hz, dtype=np.float64)[:, None], n_ctrl, axis=1)
    times, units = renewal_trains(rng, t0, rates, cv)
    keep = times < t1
    return times[keep], units[keep]


def add_doublets(
    rng: np.random.Generator,
    times: np.ndarray,
    units: np.ndarray,
    fraction: float,
    isi_range: tuple[float, float],
    *,
    clearance_s: float = 0.003,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Add a second discharge 5–10 ms after a random `fraction` of discharges (cramp doublets).

    A doublet is skipped if the unit's next discharge would come within `clearance_s` of it.
    Returns (times, units, n_doublets), sorted by unit then time.
    """
    if times.size == 0:
        return times, units, 0
    nxt = np.full(times.shape, np.inf)
    same = units[1:] == units[:-1]
    nxt[:-1][same] = times[1:][same]
    pick = rng.random(times.size) < fraction
    extra = times + rng.uniform(isi_range[0], isi_range[1], times.size)
    pick &= extra + clearance_s < nxt
    times = np.concatenate([times, extra[pick]])
    units = np.concatenate([units, units[pick]])
    order = np.lexsort((times, units))
    return times[order], units[order], int(pick.sum())
