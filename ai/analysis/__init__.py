"""Audio analysis: tempo, beats, downbeats, meter, key, tuning, chords, loudness, spectral means.

Entry point: :func:`ai.analysis.pipeline.analyze` on a decoded signal. Representations are
computed once in :mod:`ai.analysis.features` and shared by every estimator.
"""
