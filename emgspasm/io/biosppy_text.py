"""BioSPPy's "Simple Text Format": ``#`` header lines, then raw ADC values, one row per sample.

BioSPPy (and BITalino's OpenSignals exports it mimics) store the raw converter output, e.g. a
12-bit value around mid-scale 2048, not volts. To give µV like every other reader, values go
through the BITalino EMG sensor transfer function (BITalino "EMG Sensor Data Sheet"):

    EMG[V] = (ADC / 2**n - 1/2) * VCC / G_EMG,    VCC = 3.3 V, G_EMG = 1009

i.e. the mid-scale offset ``2**(n-1)`` is removed and one count is ``VCC / (2**n * G_EMG)``
(0.80 µV at 12 bits). `n` is the header's ``Resolution``. Other amplifiers: pass ``vcc_v`` and
``gain``, or ``units=`` if the columns already hold physical values.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from emgspasm.io.base import RecordingReader
from emgspasm.io.errors import RecordingError, where
from emgspasm.io.textblocks import (
    CLEAN_LINE,
    NUMBER,
    LineBlock,
    fast_parse,
    iter_line_blocks,
    split_lines,
)
from emgspasm.io.units import require_uv_per_unit
from emgspasm.recording import Annotation

BITALINO_VCC_V = 3.3
"""Supply voltage of the BITalino EMG sensor (datasheet)."""

BITALINO_EMG_GAIN = 1009.0
"""Gain of the BITalino EMG sensor (datasheet)."""

_HEAD_BYTES = 1 << 16


def adc_to_uv_scale(resolution_bits: int, vcc_v: float, gain: float) -> tuple[float, float]:
    """(offset in counts, µV per count) of the transfer function in the module docstring."""
    full_scale = 2.0 ** resolution_bits
    return full_scale / 2.0, vcc_v / (full_scale * gain) * 1e6


class BioSPPyTextReader(RecordingReader):
    """Reader for BioSPPy text files; see the module docstring for the µV conversion.

    `fs` is needed only if the header has no ``Sampling Rate``; if both are given they must
    agree. `units` means the values are already physical (no ADC model).
    """

    # RecordingReader's arguments again, plus the ADC model's: a signature cannot be extended.
    def __init__(
        self,
        path: str | Path,
        *,
        fs: float | None = None,
        units: str | None = None,
        channels: list[str] | None = None,
        vcc_v: float = BITALINO_VCC_V,
        gain: float = BITALINO_EMG_GAIN,
        resolution_bits: int | None = None,
    ) -> None:
        self._adc = (vcc_v, gain, resolution_bits)
        super().__init__(path, fs=fs, units=units, channels=channels)

    def _inspect(self, fs: float | None, units: str | None, channels: list[str] | None) -> None:
        head, _ = self._read_head(_HEAD_BYTES)
        header, self._data_offset, self._first_line = self._header(head)
        self.fs = self._rate(header, fs)
        n_cols, names = self._columns_of(head, header)
        self._n_cols = n_cols
        self._columns = self._choose_channels(names, channels)
        self._offset, self._scale = self._conversion(header, units, *self._adc)
        self.annotations: list[Annotation] = []
        self.gaps: list[tuple[int, int]] = []
        self.n_samples = sum(rows.shape[0] for rows in self._rows())

    @staticmethod
    def sniff(head: bytes) -> bool:
        """True for a ``#`` header naming the format or its sampling rate."""
        return head.startswith(b"#") and (
            b"Simple Text Format" in head[:4096] or b"Sampling Rate" in head[:4096]
        )

    def _header(self, head: bytes) -> tuple[dict[str, str], int, int]:
        """Header fields (``# key:= value``), byte offset and line number of the first row."""
        fields: dict[str, str] = {}
        offset = 0
        line = 1
        for raw in head.split(b"\n"):
            if not raw.startswith(b"#"):
                break
            text = raw[1:].decode("utf-8", errors="replace").strip()
            if ":=" in text:
                key, value = text.split(":=", 1)
                fields[key.strip().casefold()] = value.strip()
            offset += len(raw) + 1
            line += 1
        return fields, offset, line

    def _rate(self, header: dict[str, str], fs: float | None) -> float:
        text = header.get("sampling rate (hz)")
        try:
            header_fs = float(text) if text is not None else None
        except ValueError:
            raise RecordingError(
                f"{where(self.path)}: bad 'Sampling Rate (Hz)' header value {text!r}"
            ) from None
        if header_fs is not None and fs is not None and not np.isclose(header_fs, fs):
            raise RecordingError(
                f"{where(self.path)}: header says {header_fs:g} Hz but fs={fs:g} was passed"
            )
        rate = header_fs if header_fs is not None else fs
        if rate is None or not rate > 0:
            raise RecordingError(
                f"{where(self.path)}: no usable 'Sampling Rate (Hz)' header; pass fs="
            )
        return float(rate)

    def _columns_of(self, head: bytes, header: dict[str, str]) -> tuple[int, list[str]]:
        rows = head[self._data_offset:].split(b"\n")
        line = self._first_line
        for raw in rows:
            if raw.strip():
                if not CLEAN_LINE.fullmatch(raw):
                    raise RecordingError(
                        f"{where(self.path, line)}: expected numbers, got {raw[:80]!r}"
                    )
                n_cols = len(NUMBER.findall(raw))
                break
            line += 1
        else:
            raise RecordingError(f"{where(self.path)}: header but no samples")
        labels = header.get("labels", "")
        names = [s.strip() for s in labels.split("\t")] if "\t" in labels else [labels.strip()]
        if len(names) != n_cols or not all(names) or len(set(names)) != n_cols:
            names = ["EMG"] if n_cols == 1 else [f"EMG{i + 1}" for i in range(n_cols)]
        return n_cols, names

    def _conversion(
        self,
        header: dict[str, str],
        units: str | None,
        vcc_v: float,
        gain: float,
        resolution_bits: int | None,
    ) -> tuple[float, float]:
        if units is not None:
            return 0.0, require_uv_per_unit(units, self.path)
        bits = resolution_bits
        if bits is None:
            try:
                bits = int(float(header["resolution"]))
            except (KeyError, ValueError):
                raise RecordingError(
                    f"{where(self.path)}: no usable 'Resolution' header for the ADC model; pass "
                    "resolution_bits=, or units= if the values are already physical"
                ) from None
        return adc_to_uv_scale(bits, vcc_v, gain)

    def _blocks(self, preferred: int) -> Iterator[np.ndarray]:
        for rows in self._rows():
            yield (rows[:, self._columns] - self._offset) * self._scale

    def _rows(self) -> Iterator[np.ndarray]:
        with self.path.open("rb") as fh:
            fh.seek(self._data_offset)
            for block in iter_line_blocks(fh, self.path, self._first_line):
                parsed = fast_parse(block, self._n_cols)
                if parsed is None:
                    self._raise_bad_line(block)
                yield parsed[0]

    def _raise_bad_line(self, block: LineBlock) -> None:
        for line, raw in split_lines(block):
            if raw.strip() and not (
                CLEAN_LINE.fullmatch(raw) and len(NUMBER.findall(raw)) == self._n_cols
            ):
                raise RecordingError(
                    f"{where(self.path, line)}: expected {self._n_cols} number(s), got "
                    f"{raw[:80]!r}"
                )
        raise RecordingError(f"{where(self.path, block.first_line)}: unreadable values")
