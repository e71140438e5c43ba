"""One sentence a voice assistant can say about a command's result.

Jarvis reads the answer aloud; the sentence is made from the result's own figures (the key and
tempo the generator used, the analysis' key, the mix's score), never from the request alone.
"""

from __future__ import annotations

import re
from typing import Any

from ai.analysis import drums_only
from ai.analysis.pipeline import SILENCE_DBFS
from ai.generation.accompaniment import NoBeatFound
from ai.transcription.auto_instrument import NO_NOTES_NOTE
from api.command_loudness import LOUDNESS_STEP_LU, moved_target
from utils.errors import EngineError, ProjectNotFound
from utils.wording import with_article

SCALE_WORDS = {"harmonic_minor": "harmonic minor", "melodic_minor": "melodic minor"}
PART_WORDS = {"drums": "drum groove", "bass": "bass line", "melody": "melody"}
ACCOMPANY_WORDS = {"drums": "drums", "bass": "a bass line", "pad": "a pad"}


_a = with_article


def _scale(scale: str | None) -> str:
    return SCALE_WORDS.get(scale or "", (scale or "").replace("_", " "))


NO_PULSE = "I can't hear a steady pulse in it"


def _bpm(value: float) -> str:
    return f"{value:.0f} BPM"


def _at(tempo: float | None, words: str = " at") -> str:
    """' at 96 BPM', or nothing without a tempo: the templates read as sentences either way ("at about no
    steady tempo" did not)."""
    return f"{words} {_bpm(tempo)}" if tempo is not None else ""


def read_as_said(corrections: dict[str, str]) -> str:
    """What typed words were read as, said before the answer: "I read 'basline' as 'bassline'. " ("" for none)."""
    if not corrections:
        return ""
    said = [f"'{typed}' as '{read}'" for typed, read in corrections.items()]
    return "I read " + (", ".join(said[:-1]) + " and " + said[-1] if len(said) > 1 else said[0]) + ". "


def speak(action: str, params: dict[str, Any], result: Any) -> str:
    """A short sentence about ``result`` (the JSON of the action's endpoint)."""
    body = result if isinstance(result, dict) else {}
    if action.startswith("generate_") or action == "continue":
        return _generation(body)
    if action == "analyze_audio":
        return _analysis(body, params.get("question"))
    if action == "transcribe":
        return _transcription(body)
    if action == "accompany":
        named = [ACCOMPANY_WORDS.get(part, part) for part in body.get("parts") or []]
        parts = (", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else "".join(named)) or "parts"
        verb = "are" if len(named) > 1 or named == ["drums"] else "is"
        feel = f" in a {params['style']} style" if params.get("style") else ""
        harmonised = {
            "melody": ", harmonising its melody",
            "default": " (it has no key to hear, so I picked one: say a key, or the chords, for another)",
        }.get(str(body.get("harmony_source")), "")
        return (
            f"Here {verb} {parts}{feel} for your recording{harmonised}: {body.get('bars')} bars of "
            f"{body.get('time_signature')} in {body.get('key')}, following its beats{_at(body.get('tempo'), ' at about')}."
        )
    if action == "mixing_suggest":
        return _mixing(body)
    if action == "auto_level":
        return _levels(body)
    if action == "render_mix":
        return _render(body, params)
    if action == "analyze_project":
        tracks = body.get("tracks") or []
        found = len(body.get("suggestions") or []) + len(body.get("findings") or [])
        return f"Project {body.get('name') or body.get('project_id')}: {len(tracks)} tracks, {found} things to look at."
    if action in ("play", "stop"):
        return f"DAWG-CORE is {body.get('status', 'done')}."
    if action == "help":
        return (
            "You can ask for drums, a bass line or a melody, what key or tempo a recording is in, how your mix "
            "sounds, to balance your levels, to render the mix, and to play or stop."
        )
    return "Done."


SAY_DRUMS = 'say "transcribe the drums" for its hits.'


def _transcription(body: dict[str, Any]) -> str:
    """What was written down, in words: no notes, or only drums heard by a pitched transcription, says what to
    ask instead ("I wrote down 0 notes" on a drum loop left the caller to guess)."""
    count = len(body.get("notes") or [])
    drums = body.get("instrument") == "drums"
    heard_drums = not drums and drums_only.NOTE in str(body.get("key_note") or "")  # the analysis heard drums alone
    what = ("drum hit" if drums else "note") + ("" if count == 1 else "s")
    if count == 0:
        if body.get("notes_note"):  # the analysis heard noise: what the models read in it is left out
            return "There's no pulse or pitched note in it, like noise or speech, so there's nothing to write down."
        if drums:
            return "I didn't hear any drum hits in it, so there's nothing to write down."
        if heard_drums:
            return f"It sounds like only drums, so there are no notes to write down: {SAY_DRUMS}"
        return f"I didn't hear any notes in it, so there's nothing to write down. If it's a drum loop, {SAY_DRUMS}"
    wrote = f"I wrote down {count} {what}"
    if body.get("instrument_note"):  # instrument=auto chose: say what it heard
        heard = {"drums": "drums alone", "melody": "one note at a time", "pitched": "notes together"}
        if str(body["instrument_note"]).startswith(NO_NOTES_NOTE):  # auto's fallback: no note, drum hits
            heard["drums"] = "drum hits and no pitched notes"
        chosen = str(body.get("instrument"))
        wrote = f"It sounded like {heard.get(chosen, chosen)}, so {wrote}" + (
            " as one line" if chosen == "melody" else ""
        )
    if body.get("tempo") is None:  # the MIDI keeps the notes' times on a plain 120 BPM grid
        said = f"{wrote}; {NO_PULSE}, so they're not on a beat grid."
    else:
        said = f"{wrote}, on its beat grid{_at(body.get('tempo'), ' at about')}."
    return f"{said} It sounds like only drums, though: {SAY_DRUMS}" if heard_drums else said


def _generation(body: dict[str, Any]) -> str:
    part = PART_WORDS.get(str(body.get("style")), "clip")
    # Said as words: "drum and bass", "uk garage" (a voice reads the hyphens of "drum-and-bass" out or stumbles).
    feel = f"{str(body['genre']).replace('-', ' ')} " if body.get("genre") and body.get("genre") != "default" else ""
    where = "" if body.get("style") == "drums" else f" in {body.get('key')} {_scale(body.get('scale'))}"
    primer = body.get("primer_bars")  # the clip holds the primer's bars, then these
    clips = len(body.get("variations") or [])
    more = f" ({clips} variations)" if clips > 1 else ""
    # With send_to_core: whether it reached DAWG-CORE (its reason, a URL among it, is in the answer, not spoken).
    delivered = body.get("delivered")
    sent = (
        " I sent it to DAWG-CORE."
        if delivered is True
        else " I couldn't send it to DAWG-CORE."
        if delivered is False
        else ""
    )
    return (
        f"Here is {_a(feel + part)}{where}, {body.get('bars')} bars of {body.get('time_signature')}"
        f"{f' after your {primer}' if primer else ''}{_at(body.get('tempo'))}{more}.{sent}"
    )


SPOKEN_CHORDS = 8
"""The most chords read out; a song's loop is said once instead (see :func:`_chord_loop`)."""
LOOP_MATCH = 0.8
"""A cycle of chords is the song's loop when the changes follow it this often."""


def _chord_loop(labels: list[str]) -> list[str] | None:
    """The shortest cycle of at most SPOKEN_CHORDS chords (heard at least twice) that the changes follow at
    least LOOP_MATCH of the time: "C, G, Am, F" for a pop song, not its first eight changes."""
    for period in range(2, SPOKEN_CHORDS + 1):
        if len(labels) < 2 * period:
            break
        follows = sum(label == labels[i % period] for i, label in enumerate(labels))
        if follows >= LOOP_MATCH * len(labels):
            return labels[:period]
    return None


def _silent(body: dict[str, Any]) -> bool:
    """Whether an analysis heard nothing: its peak under the silence floor, or no block loud enough to measure
    (the loudness note of inaudible audio and of DC alone starts "no loudness:")."""
    if "peak_dbfs" in body and (body["peak_dbfs"] is None or body["peak_dbfs"] < SILENCE_DBFS):  # null: digital 0
        return True
    return any(str(note).startswith("no loudness:") for note in body.get("notes") or [])


def _analysis(body: dict[str, Any], question: str | None) -> str:
    """The answer to ``question`` (topics joined by "+": "key+tempo" answers both, in the order asked)."""
    topics = (question or "").split("+")
    if "loudness" not in topics and _silent(body):  # "It's without a clear key, with no steady tempo." of silence
        return "It's silent: there's no key, tempo or chords to hear."
    if len(topics) > 1:
        return " ".join(_analysis(body, topic) for topic in topics)
    key = body.get("key")
    key_text = f"in {key}" if key else "without a clear key"
    if question in ("key", "chords") and drums_only.said_of(body.get("notes") or []):
        return "It's only drums and percussion: there's no key or chords to hear."
    if question == "key":
        return f"It's {key_text}." if key else "I can't hear a clear key in it."
    if question == "tempo":
        # No tempo is an answer too (noise, a held tone): "About no steady tempo" was no sentence.
        tempo = body.get("tempo")
        return f"About {_bpm(tempo)}." if tempo is not None else f"{NO_PULSE}."
    if question == "meter":
        meter = body.get("time_signature")
        return f"It's in {meter}." if meter else "I can't tell its meter."
    if question == "chords":
        labels: list[str] = []
        for chord in body.get("chords") or []:
            label = chord.get("label")
            if label and label != "N" and (not labels or labels[-1] != label):
                labels.append(label)
        if not labels:
            return "I can't hear chords in it."
        loop = _chord_loop(labels) if len(labels) > SPOKEN_CHORDS else None  # a short one is said whole
        if loop:
            return f"The chords go {', '.join(loop)}, round and round."
        rest = len(labels) - SPOKEN_CHORDS
        return f"The chords go {', '.join(labels[:SPOKEN_CHORDS])}" + (f", then {rest} more." if rest > 0 else ".")
    if question == "loudness":
        lufs, peak = body.get("loudness_lufs"), body.get("true_peak_dbtp")
        if lufs is None:
            return "It's too quiet or short to measure its loudness."
        peak_text = f", true peak {peak:.1f} dBTP" if peak is not None else ""
        return f"{lufs:.1f} LUFS integrated{peak_text}."
    meter = body.get("time_signature")
    tempo = body.get("tempo")
    pace = _bpm(tempo) if tempo is not None else "with no steady tempo"
    return f"It's {key_text}, {pace}{f', in {meter}' if meter else ''}."


def _no_stems(body: dict[str, Any], what: str) -> str:
    """Said when there was no audio: a named project without stems is named (no "name the project" to one who did)."""
    if body.get("project_name"):
        return f"{body['project_name']} has no stems yet: render its tracks to its stems folder, then ask again."
    return f"I need the tracks' audio {what}: upload the stems or name the project."


def _mixing(body: dict[str, Any]) -> str:
    if body.get("status") == "no_audio":
        return _no_stems(body, "for that")
    quality = body.get("overall_quality")
    score = f"The mix scores {quality * 100:.0f} percent." if isinstance(quality, int | float) else ""
    pressing = [s for s in body.get("suggestions") or [] if s.get("priority") in ("high", "medium")]
    said = f"{score} First: {pressing[0].get('message')}" if pressing else f"{score} Nothing pressing to fix."
    return f"{_chosen_project(body)}{said.strip()}"


def _chosen_project(body: dict[str, Any]) -> str:
    """Which project the answer is about, when nobody named one (the engine took the last one rendered)."""
    return f"In {body['project_name']}: " if body.get("message") and body.get("project_name") else ""


def _levels(body: dict[str, Any]) -> str:
    gains = body.get("gain_adjustments") or {}
    if not gains:
        return _no_stems(body, "to balance them")
    moves = sorted(gains.items(), key=lambda item: -abs(item[1]))[:3]
    return (
        f"{_chosen_project(body)}Biggest moves: " + ", ".join(f"{name} {gain:+z.1f} dB" for name, gain in moves) + "."
    )


def _render(body: dict[str, Any], params: dict[str, Any]) -> str:
    after = body.get("measured_after") or {}
    lufs, peak = after.get("integrated_lufs"), after.get("true_peak_dbtp")
    said = _chosen_project(body) + (
        "The mix is rendered."
        if lufs is None
        else f"The mix is rendered at {lufs:.1f} LUFS, true peak {peak:.1f} dBTP."
    )
    moved = moved_target(params)
    if moved is None:
        return said
    if body.get("master") is None:  # a plain render is aimed at no loudness: the word was not applied
        return f"{said} '{moved.change.capitalize()}' was not applied: only a master has a loudness target."
    return (
        f"{said} I aimed the master {LOUDNESS_STEP_LU:g} dB {moved.change} than the {moved.base_name} target "
        f"({moved.base_lufs:g} LUFS), at {moved.lufs:g} LUFS."
    )


_UPLOAD_WORDS = {
    "file": "the recording",
    "audio": "the recording",
    "primer": "the MIDI clip",
    "files": "the stems",
    "master": "the finished mix",
    "reference": "the reference track",
}
_URL_RE = re.compile(r"\s*\(?\bhttps?://\S+")
_SPOKEN_ERRORS = {
    "core_unreachable": "DAWG-CORE isn't answering: is it running?",
    "core_bad_response": "DAWG-CORE answered, but not in a way I understand.",
    "core_error": "DAWG-CORE couldn't do that.",
    "model_unavailable": "That model isn't loaded right now; try again, or ask for the theory model.",
    "no_audio": "I need the tracks' audio for that: send the stems or name the project.",
    "payload_too_large": "That file is too large for me.",
    "unsupported_media_type": "I can't read that kind of file.",
    "undecodable_audio": "I can't read that audio file.",
}


_NO_BEAT_WORDS = {
    "silent": "Your recording is silent, so there's nothing for me to play along with. Send one with music in it.",
    "short": "Your recording is too short for me to find its beat. Send a few seconds or more of music.",
    "no_pulse": (
        "I can't hear a steady beat in your recording, so I can't play along with it. Try one with a clear pulse, "
        "or ask me for drums at a tempo instead."
    ),
}
"""What a voice says for ``no_beat`` (NoBeatFound.cause): the detail is the analysis's notes ("integrated loudness
is undefined (the audio is silent or shorter than one 400 ms block); ..."), which Jarvis read out."""


def spoken_error(exc: EngineError) -> str:
    """A sentence a voice assistant can say for a command that failed: the refusal's own sentence where it is one
    (a command not understood, an action no party implements), else what went wrong in a musician's words, never
    a URL (DAWG-CORE's unreachable address was in the detail Jarvis read out); after what typed words were read
    as, where the command's were."""
    corrections = exc.extra.get("corrections")
    return read_as_said(corrections if isinstance(corrections, dict) else {}) + _failure(exc)


def _failure(exc: EngineError) -> str:
    if exc.code == "command_not_understood":
        return exc.detail
    upload = exc.extra.get("upload")
    if upload and "reads" in exc.extra:  # a file the action does not read (api.missing_upload.unread_upload)
        return f"I don't use {_UPLOAD_WORDS.get(str(upload), 'that file')} for that: leave it out, or tell me what to do with it."
    if upload:
        return f"I need {_UPLOAD_WORDS.get(str(upload), 'a file')} for that: send it with your request."
    if exc.code in _SPOKEN_ERRORS:
        return _SPOKEN_ERRORS[exc.code]
    if isinstance(exc, NoBeatFound):
        return _NO_BEAT_WORDS[exc.cause]
    if isinstance(exc, ProjectNotFound) and exc.said is not None:  # the detail's folder path is no musician's word
        known = ", ".join(exc.known)
        return f"I can't find a project called {exc.said}." + (
            f" Your projects: {known}." if known else " There are no projects yet."
        )
    if exc.code == "command_not_available":
        return f"I understood, but {exc.extra.get('missing') or 'nobody can do that yet'}."
    detail = _URL_RE.sub("", exc.detail).strip()
    return f"I couldn't do that: {detail.rstrip('.')}."
