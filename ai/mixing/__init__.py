"""Mixing advice, auto-level and the rendered mix, from what the tracks really sound like.

The modules, from the ground up:

- what a track is and what it should sound like: roles (from its name), role_model (from its audio),
  targets (loudness targets, balance by role, pans, useful ranges);
- measures: measure (loudness, peaks, bands, stereo, DC, clipping), stem_measures and mid_signal (the
  same a block at a time for long stems), low_end (rumble), masking (pairs of tracks, band by band);
- tone: eq_curves (curves on a log-frequency grid, EQ responses), tonal (role curves, EQ moves,
  findings), resonance (ringing peaks), reference_match (a matching curve to a reference);
- dynamics: dynamics_measure (crest, PLR, loudness range, envelope depth), dynamics_norms (per-role norms),
  dynamics_processing (compressor, volume automation), dynamics_advice (the compressor / volume automation advice
  that checks itself), dynamics (findings: over-compressed, uncontrolled);
- space: space_measure (decays at note ends), space_model (per-role norms and models), space (reverb and
  delay advice);
- advice: findings (a finding and its move), track_advice (tone, dynamics and space of one track),
  track_findings (clipping, DC, rumble, stereo and silence of one track), cross_track_findings (levels
  against the balance by role, masking between tracks), mix_bus_findings (the sum's headroom, a master's
  loudness and true peak, a reference comparison), suggest (every finding of a session, scored),
  auto_level (a gain and pan per track);
- render: render_plan (findings -> moves), channel_strip (a track's processing), board_blocks (pedalboard
  chains a block at a time), mastering (loudness target, true-peak limiter), render (the whole render;
  :mod:`ai.audio.encode` writes it as WAV or FLAC).
"""
