"""How a Magenta model's next event is drawn: a private random generator per request (a seed
reproduces a clip whatever other threads do) and the density tilt on the classes that only
advance time (see the density control in :mod:`ai.generation.magenta_backend`). Each draw is also
the request's cancellation point (:mod:`ai.progress`).
"""

from __future__ import annotations

import logging
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from ai import progress

logger = logging.getLogger(__name__)


DENSITY_TILT = 2.0  # density 0 / 1 multiplies time-advance probabilities by e^2 / e^-2


def _time_advance_predicate(family: str) -> Callable[[Any], bool]:
    """Whether a decoded event only advances time (no new onset) for a model family."""
    if family == "drums_rnn":
        return lambda event: isinstance(event, frozenset) and not event
    if family in ("melody_rnn", "improv_rnn"):
        return lambda event: isinstance(event, (int, np.integer)) and bool(event < 0)  # NOTE_OFF, NO_EVENT
    if family == "polyphony_rnn":
        from magenta.models.polyphony_rnn import polyphony_lib

        return lambda event: getattr(event, "event_type", None) == polyphony_lib.PolyphonicEvent.STEP_END
    import note_seq

    return lambda event: getattr(event, "event_type", None) == note_seq.PerformanceEvent.TIME_SHIFT


class _Sampler:
    """Stands in for ``encoder_decoder.extend_event_sequences``: draws each next class with
    ``self.rng`` (set per request) from the softmax, tilted by ``self.tilt`` on the classes that
    only advance time.

    The classes are sorted once: decoding each class against a history of unique sentinels tells
    the fixed classes (their event is known) from the look-back classes (repeat the event of one
    or two bars ago), which are decoded against the real history at each step.
    """

    def __init__(self, encoder_decoder: Any, is_time_advance: Callable[[Any], bool]) -> None:
        self._encoder_decoder = encoder_decoder
        self._is_time_advance = is_time_advance
        self.rng = np.random.default_rng(0)
        self.tilt = 1.0
        self._static_mask: np.ndarray | None = None
        self._dynamic: list[int] = []
        try:
            num_classes = encoder_decoder.num_classes
            if not isinstance(num_classes, int):
                raise TypeError("several softmaxes")
            history = [object() for _ in range(512)]
            sentinels = {id(s) for s in history}
            mask = np.zeros(num_classes, dtype=bool)
            for index in range(num_classes):
                event = encoder_decoder.class_index_to_event(index, history)
                if id(event) in sentinels:
                    self._dynamic.append(index)
                else:
                    mask[index] = bool(is_time_advance(event))
            self._static_mask = mask
        except Exception as exc:  # noqa: BLE001 - an encoding we cannot classify: no tilt
            logger.info("density tilt unavailable for %s: %s", type(encoder_decoder).__name__, exc)
            self._static_mask = None

    @property
    def supports_tilt(self) -> bool:
        return self._static_mask is not None

    def __call__(self, event_sequences: list[Any], softmax: Any) -> list[Any]:
        # Called once per generated step: the request's cancellation point inside Magenta's sampling (a
        # caller who hung up, a cancelled job), which otherwise ran a 32-bar part to its end regardless.
        progress.check()
        chosen_classes: list[Any] = []
        for i, events in enumerate(event_sequences):
            if not isinstance(softmax[0][0][0], numbers.Number):  # several sub-softmaxes
                chosen: Any = [int(self.rng.choice(len(sub[i][-1]), p=_normalised(sub[i][-1]))) for sub in softmax]
            else:
                p = np.asarray(softmax[i][-1], dtype=np.float64)
                if self.tilt != 1.0 and self._static_mask is not None:
                    mask = self._static_mask.copy()
                    for index in self._dynamic:
                        mask[index] = bool(
                            self._is_time_advance(self._encoder_decoder.class_index_to_event(index, events))
                        )
                    p = np.where(mask, p * self.tilt, p)
                chosen = int(self.rng.choice(p.shape[0], p=_normalised(p)))
            events.append(self._encoder_decoder.class_index_to_event(chosen, events))
            chosen_classes.append(chosen)
        return chosen_classes


def _normalised(p: Any) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, None)
    result: np.ndarray = p / p.sum()
    return result


def density_tilt(density: float) -> float:
    """Multiplier on the probability of time-advance classes for a density in 0..1."""
    return float(math.exp(-DENSITY_TILT * (2.0 * density - 1.0)))
