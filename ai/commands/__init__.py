"""Text commands -> an action and its parameters (docs/commands.md), without a network or a model.

tokens: the text cleaned and split. numbers: number words and tempo shorthand. vocabulary: the
words of the command language, derived from the engine's style, scale and loudness tables.
music_words: keys and chord progressions. slots: the parameters a text states. actions: every
action, its parameters and who runs it. suggest: the closest commands to a refused text.
parse: the parser, :func:`parse_command`.
"""

from ai.commands.actions import ACTIONS, ActionInfo
from ai.commands.parse import ParsedCommand, parse_command

__all__ = ["ACTIONS", "ActionInfo", "ParsedCommand", "parse_command"]
