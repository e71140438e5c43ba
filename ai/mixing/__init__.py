"""Mixing advice and auto-level from what the tracks really sound like.

roles: a track's role from its name. measure: per-track measurements. masking: cross-track
masking per band. targets: loudness targets and the balance by role. suggest: findings and
concrete moves. auto_level: gains and pans by role.
"""
