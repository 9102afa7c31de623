"""The description of a decoding session, shared by the live source, captures and replays.

A live session builds its `StreamDecoder` from this header, and a capture stores the very same
header, so a replay constructs an identical decoder (same codec, options, defaults). Keeping one
constructor for both is what makes "a replayed file gives exactly the events the live session
gave" true by construction rather than by care.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from firmware_bridge.protocols.registry import make_codec
from firmware_bridge.transports.decoder import DEFAULT_RESTART_JITTER_S, StreamDecoder


def session_header(
    *,
    device: str,
    codec: str,
    codec_options: Mapping[str, Any] | None = None,
    channels: Sequence[str] | None = None,
    fs: float | None = None,
    transport: str = "serial",
    endpoint: str | None = None,
    channel_keyword: str | None = None,
    channel_names: Sequence[str] = ("serial",),
    restart_jitter_s: float = DEFAULT_RESTART_JITTER_S,
) -> dict[str, Any]:
    """A JSON-able dict with everything needed to decode the session's bytes again."""
    return {
        "device": device,
        "codec": codec,
        "codec_options": dict(codec_options or {}),
        "channels": list(channels) if channels else None,
        "fs": fs,
        "transport": transport,
        "endpoint": endpoint,
        "channel_keyword": channel_keyword,
        "channel_names": list(channel_names),
        "restart_jitter_s": restart_jitter_s,
    }


def decoder_from_header(header: Mapping[str, Any]) -> StreamDecoder:
    """A fresh `StreamDecoder` for a session header (live or read from a capture)."""
    try:
        codec = make_codec(str(header["codec"]), **dict(header.get("codec_options") or {}))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"cannot build the codec this session needs: {exc}") from exc
    return StreamDecoder(
        codec,
        channels=header.get("channels"),
        fs=header.get("fs"),
        channel_keyword=header.get("channel_keyword"),
        restart_jitter_s=float(header.get("restart_jitter_s", DEFAULT_RESTART_JITTER_S)),
    )
