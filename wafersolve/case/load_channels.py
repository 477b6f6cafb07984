"""The ``[cooling.channels]`` sub-table of a case file: the channel cold-plate geometry.

Strict like the rest of the loader: unknown keys, missing units, bad types and out-of-range values
are :class:`~wafersolve.errors.CaseError` naming the file, the field, the value and what was
expected. Whether the channels fit the plate width is checked when the plate is evaluated
(:func:`wafersolve.coldplate.channel_layout`), since that width is the wafer's.

Example
-------
>>> sec = Section({"width_um": 300, "height_mm": 4, "pitch_um": 500}, path="c.toml",
...               where="cooling.channels")
>>> plate = parse_channels(sec)
>>> plate.width_m, plate.pitch_m, plate.count
(0.0003, 0.0005, None)
"""

from __future__ import annotations

import difflib

from ..errors import CaseError
from .materials import MATERIALS
from .model import ChannelPlate
from .schema import Section

_LOSSES = {"entrance_loss_coefficient": 0.5, "exit_loss_coefficient": 1.0,
           "manifold_loss_coefficient": 0.0}


def parse_channels(sec: Section) -> ChannelPlate:
    """Build a :class:`ChannelPlate` from ``[cooling.channels]`` (see docs/case-reference.md).

    Example
    -------
    >>> sec = Section({"width_um": 300, "height_mm": 4}, path="c.toml", where="cooling.channels")
    >>> parse_channels(sec)
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: c.toml: cooling.channels: missing channel layout: give count \
(channels across the plate) or pitch_um (or pitch_mm, pitch_m)
    """
    sec.allow({"count", "wall_material", "pump_efficiency", *_LOSSES},
              {"width": "length", "height": "length", "pitch": "length", "length": "length",
               "wall_k": "thermal_conductivity"})
    width = sec.quantity("width", check=">0")
    height = sec.quantity("height", check=">0")
    pitch_hit = sec.unit_key("pitch")
    if sec.has("count") and pitch_hit:
        raise CaseError(sec.path, sec.field("count"), sec.data["count"], detail=(
            f"give either count or {pitch_hit[0]}, not both"))
    if not sec.has("count") and pitch_hit is None:
        raise CaseError(sec.path, sec.where, detail=(
            "missing channel layout: give count (channels across the plate) or pitch_um "
            "(or pitch_mm, pitch_m)"))
    count = sec.integer("count", required=False, minimum=1)
    pitch = sec.quantity("pitch", required=False, check=">0")
    if pitch is not None and not pitch > width:
        key = pitch_hit[0]
        wkey = sec.unit_key("width")[0]
        raise CaseError(sec.path, sec.field(key), sec.data[key], (
            f"a pitch larger than the channel width ({wkey} = {sec.data[wkey]!r}): the walls "
            "between channels need a thickness > 0"))
    length = sec.quantity("length", required=False, check=">0")
    wall_k = sec.quantity("wall_k", required=False, check=">0")
    if sec.has("wall_material"):
        if wall_k is not None:
            raise CaseError(sec.path, sec.field("wall_material"), sec.data["wall_material"],
                            detail="give either wall_material or wall_k_W_per_m_K, not both")
        name = sec.string("wall_material")
        if name not in MATERIALS:
            close = difflib.get_close_matches(name, MATERIALS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CaseError(sec.path, sec.field("wall_material"), name, detail=(
                f"unknown built-in material{hint} Known: {', '.join(MATERIALS)} "
                "(docs/materials.md)"))
        wall_k = MATERIALS[name].k_W_per_m_K[2]
    losses = {key: sec.number(key, default=d, check=">=0") for key, d in _LOSSES.items()}
    eta = sec.number("pump_efficiency", default=0.5, check=">0")
    if eta > 1.0:
        raise CaseError(sec.path, sec.field("pump_efficiency"), sec.data["pump_efficiency"],
                        "a number > 0 and <= 1")
    return ChannelPlate(width_m=width, height_m=height, count=count, pitch_m=pitch,
                        length_m=length, wall_k_W_per_m_K=wall_k, pump_efficiency=eta, **losses)
