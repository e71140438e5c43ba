"""training/role_space.py: which renders count as bone dry."""

from __future__ import annotations

import numpy as np
import pytest

from training.role_space import NO_EFFECT_DB, _effect_db


def test_a_render_equal_to_its_dry_render_has_no_effect():
    rng = np.random.default_rng(0)
    dry = rng.standard_normal((2, 44100)).astype(np.float32)
    assert _effect_db(dry.copy(), dry) < NO_EFFECT_DB


def test_the_effect_level_is_what_the_effects_add_over_the_dry_render():
    rng = np.random.default_rng(1)
    dry = rng.standard_normal((2, 44100)).astype(np.float32)
    reverb = 0.1 * rng.standard_normal((2, 44100)).astype(np.float32)  # -20 dB of the dry energy
    assert _effect_db(dry + reverb, dry) == pytest.approx(-20.0, abs=0.2)
    # A longer render (the reverb rings out past the dry one's end) is compared over the common length.
    longer = np.concatenate([dry + reverb, reverb[:, :1000]], axis=1)
    assert _effect_db(longer, dry) == pytest.approx(-20.0, abs=0.2)
    assert _effect_db(dry + reverb, dry) > NO_EFFECT_DB
