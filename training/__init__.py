"""Training of the Magenta models shipped in models/ (DrumsRNN, ImprovRNN, MelodyRNN).

Corpora come from real, human-written music: Debian's MMA groove library (drums, bass over chords)
and music21's bundled corpus (folk tunes, Bach chorales). ``python -m training --help`` lists the
commands; training/README.md documents the data, the held-out split and the outputs.

Nothing here is imported by the service at run time.
"""
