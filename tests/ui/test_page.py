"""The browser page (/ui) in a real headless Chromium (Debian's, driven by Playwright): analyse an
upload and see it drawn, transcribe a recording onto the piano roll, accompany one and hear the
preview, generate a clip and see its piano roll, send it to DAWG-CORE, measure stems and render the
mix, and read the engine's error for a bad file. Any request the page makes
beyond the engine fails the test: the page must work offline. Screenshots are kept in
test-artifacts/ui/ (or $DAWG_AI_TEST_ARTIFACTS/ui/).

Chromium comes from scripts/setup.sh (apt); without it these tests skip, unless
DAWG_AI_BROWSER_TESTS=required (set by .ci/run), where a missing browser fails them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from tests.api.conftest import make_settings
from tests.api.test_accompaniment import drifting_song
from tests.api.test_analysis import song_in_g_major, wav_bytes
from tests.api.test_projects import write_project, write_stem
from tests.api.test_transcription import song as arpeggio
from tests.support.browser import CHROMIUM_ARGS, chromium_path
from tests.support.core_standin import run_core_standin
from tests.support.live_server import live_engine

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = chromium_path()
if CHROMIUM is None:
    if os.environ.get("DAWG_AI_BROWSER_TESTS") == "required":
        raise RuntimeError("DAWG_AI_BROWSER_TESTS=required but no chromium on PATH (scripts/setup.sh installs it)")
    pytest.skip("no chromium on PATH (scripts/setup.sh installs Debian's chromium)", allow_module_level=True)

CHROMIUM_OPTIONS = [*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"]
ARTIFACTS = (
    Path(os.environ.get("DAWG_AI_TEST_ARTIFACTS", Path(__file__).resolve().parents[2] / "test-artifacts")) / "ui"
)
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("uploads")
    song = tmp / "song.wav"
    song.write_bytes(wav_bytes(song_in_g_major(bpm=110.0, bars=8)))
    t = np.arange(44100 * 4) / 44100
    kick = tmp / "Kick.wav"
    sf.write(kick, (0.6 * np.sin(2 * np.pi * 55 * t) * np.exp(-((t % 0.5) * 14))).astype(np.float32), 44100)
    bass = tmp / "Bass.wav"
    sf.write(bass, (0.3 * np.sin(2 * np.pi * 110 * t)).astype(np.float32), 44100)
    text = tmp / "notes.wav"
    text.write_text("this is not audio")
    silence = tmp / "Silence.wav"
    sf.write(silence, np.zeros(44100 * 2, np.float32), 44100)
    line = tmp / "My take.wav"  # C E G C on the beats over a kick, 9 s (the transcription tests' own)
    line.write_bytes(wav_bytes(arpeggio()))
    drift = tmp / "drift.wav"  # 8 bars over G C D Em, speeding up (the accompaniment tests' own)
    drift.write_bytes(drifting_song(bars=8)[0])
    aiff = tmp / "take.aiff"  # the engine reads AIFF, Chromium's media stack does not
    sf.write(aiff, sf.read(song)[0], 44100, format="AIFF", subtype="PCM_16")
    return {
        "song": song, "kick": kick, "bass": bass, "text": text, "silence": silence, "line": line, "drift": drift,
        "aiff": aiff,
    }  # fmt: skip


@pytest.fixture(scope="module")
def core() -> Iterator[Any]:
    with run_core_standin(mode="import_ok") as standin:
        yield standin


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, core: Any) -> Iterator[str]:
    settings = make_settings(tmp_path_factory.mktemp("engine"), core_url=core.url)
    write_project(settings.projects_dir, "night", ["Kick", "Bass"])
    write_stem(settings.projects_dir, "night", "Kick", 60, seconds=2.0)
    write_stem(settings.projects_dir, "night", "Bass", 110, seconds=2.0)
    with live_engine(settings) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_OPTIONS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any, engine: str) -> Iterator[Any]:
    """A fresh tab on /ui. Requests anywhere but the engine are refused and recorded; so are the
    page's script errors: the test fails on either."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []
    errors: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.startswith(engine) or url.startswith(("blob:", "data:")):
            request_route.continue_()
        else:
            outside.append(url)
            request_route.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(f"{engine}/ui")
    yield tab
    context.close()
    assert not outside, f"the page reached beyond the engine: {outside}"
    assert not errors, f"script errors on the page: {errors}"


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def figure(page: Any, section: str, name: str) -> str:
    text: str = page.locator(f"#{section} dt:text-is('{name}') + dd").inner_text()
    return text


def status_line(page: Any, section: str) -> str:
    """The section's status line once the request running now has ended (the error box shown instead fails)."""
    page.wait_for_function(
        "s => document.querySelector(`#${s} .progress`).hidden && (document.querySelector(`#${s} .status`).textContent"
        " || !document.querySelector(`#${s} .error`).hidden)",
        arg=section,
    )
    assert page.locator(f"#{section} .error").is_hidden(), page.inner_text(f"#{section} .error")
    text: str = page.locator(f"#{section} .status").inner_text()
    return text


def canvas_ink(page: Any, selector: str, bottom: int = 0, right: int = 0) -> int:
    """How many pixels of a canvas are drawn (not blank and not white); in its lowest ``bottom`` and
    rightmost ``right`` CSS pixels alone where these are given."""
    count: int = page.eval_on_selector(
        selector,
        """(c, [bottom, right]) => { const s = c.width / c.clientWidth;
                  const x = right ? Math.floor(c.width - right * s) : 0, y = bottom ? Math.floor(c.height - bottom * s) : 0;
                  const d = c.getContext('2d').getImageData(x, y, c.width - x, c.height - y).data; let n = 0;
                  for (let i = 0; i < d.length; i += 4) if (d[i+3] > 0 && (d[i] < 230 || d[i+1] < 230 || d[i+2] < 230)) n++;
                  return n; }""",
        [bottom, right],
    )
    return count


def test_the_root_links_to_the_page_and_the_page_loads_offline(page: Any, engine: str) -> None:
    page.wait_for_selector("#engine-state:text-matches('engine .*ready')")
    assert page.locator('[role="tab"]').count() == 5
    assert page.evaluate("fetch('/').then(r => r.json()).then(j => j.ui)") == "/ui"


def test_analyse_draws_beats_bars_and_chords(page: Any, files: dict[str, Path]) -> None:
    page.set_input_files("#analyse-form input[name=file]", str(files["song"]))
    page.click("#analyse-form button[type=submit]")
    page.wait_for_selector("#analysis:not([hidden])")
    assert figure(page, "analysis-figures", "Key").startswith("G major")
    tempo = float(figure(page, "analysis-figures", "Tempo").split()[0])
    assert abs(tempo - 110.0) < 2.0
    # The drawing: numbered bar lines and chord labels on the waveform (inside its shadow DOM).
    page.wait_for_function("() => document.querySelectorAll('#waveform *').length > 0")
    bars = page.locator("#waveform [data-kind=bar]")
    bars.first.wait_for()
    assert bars.count() >= 6
    assert bars.nth(0).inner_text() == "1"
    chords = page.locator("#waveform [data-kind=chord]").all_inner_texts()
    assert {"G", "C", "D"} <= set(chords)
    assert page.is_enabled("#analysis-play")
    shot(page, "analyse")


def test_a_bad_upload_shows_the_engines_error(page: Any, files: dict[str, Path]) -> None:
    page.set_input_files("#analyse-form input[name=file]", str(files["text"]))
    page.click("#analyse-form button[type=submit]")
    error = page.locator("#analyse .error")
    error.wait_for(state="visible")
    assert "415 unsupported_media_type" in error.inner_text() and "not an audio file" in error.inner_text()
    assert page.locator("#analysis").is_hidden()


def test_a_file_the_browser_cannot_decode_keeps_the_engines_figures(page: Any, files: dict[str, Path]) -> None:
    """AIFF: the engine analyses it, Chromium cannot decode it. The page said "unexpected error: ... (PipelineStatus::
    DEMUXER_ERROR_COULD_NOT_OPEN: FFmpegDemuxer: open context failed); the analysis above" (the figures are below),
    and left an empty waveform box and a Play button that did nothing."""
    page.set_input_files("#analyse-form input[name=file]", str(files["aiff"]))
    page.click("#analyse-form button[type=submit]")
    error = page.locator("#analyse .error")
    error.wait_for(state="visible")
    assert error.inner_text() == (
        "this browser cannot decode take.aiff, so it cannot draw or play it; the figures below are the engine's analysis"
    )
    assert float(figure(page, "analysis-figures", "Tempo").split()[0]) == pytest.approx(110.0, abs=2.0)
    assert page.locator("#waveform").is_hidden() and page.is_disabled("#analysis-play")
    shot(page, "analyse_undecodable_in_browser")
    page.set_input_files("#analyse-form input[name=file]", str(files["song"]))  # one it can: drawn and playable again
    page.click("#analyse-form button[type=submit]")
    assert status_line(page, "analyse") == "Analysed song.wav."
    assert page.locator("#waveform").is_visible() and page.is_enabled("#analysis-play")


def test_the_analysis_notes_read_apart(page: Any, files: dict[str, Path]) -> None:
    """Each note is a clause without a full stop: joined by spaces, silence read "... 400 ms block) the audio is silent"."""
    page.set_input_files("#analyse-form input[name=file]", str(files["silence"]))
    page.click("#analyse-form button[type=submit]")
    page.wait_for_selector("#analysis:not([hidden])")
    assert "400 ms block); the audio is silent" in page.inner_text("#analysis-notes")


def test_generate_shows_the_piano_roll_plays_and_sends_to_core(page: Any, core: Any) -> None:
    page.click("[data-tab=generate]")
    form = "#generate-form"
    page.select_option(f"{form} select[name=part]", "drums")
    page.select_option(f"{form} select[name=genre]", "funk")
    page.fill(f"{form} input[name=bars]", "2")
    page.fill(f"{form} input[name=seed]", "7")
    page.fill(f"{form} input[name=microtiming]", "0.5")
    page.click(f"{form} button[type=submit]")
    page.wait_for_selector("#clip:not([hidden])")
    assert figure(page, "clip-figures", "Seed") == "7"
    assert int(figure(page, "clip-figures", "Notes")) > 8
    assert canvas_ink(page, "#pianoroll") > 500
    assert page.get_attribute("#pianoroll", "aria-label").startswith("drum grid: ")  # the drawing in words
    # A drum clip has no key or chords: the engine's defaults (C major, C Am F G) would read as the clip's.
    assert page.locator("#clip-figures dt").all_inner_texts() == [
        "Part",
        "Model",
        "Tempo",
        "Meter",
        "Bars",
        "Notes",
        "Seed",
    ]
    # The bar numbers stop at the clip's last bar: none at its closing line, cut by the right edge.
    assert canvas_ink(page, "#pianoroll", bottom=16) > 10  # "1" and "2"
    assert canvas_ink(page, "#pianoroll", bottom=16, right=8) == 0
    # The engine's own rendering is ready to play; the .mid is a download of the clip's bytes.
    assert page.get_attribute("#clip-audio", "src").startswith("blob:")
    duration = page.eval_on_selector(
        "#clip-audio",
        "a => new Promise(r => a.readyState >= 1 ? r(a.duration) : a.addEventListener('loadedmetadata', () => r(a.duration)))",
    )
    assert duration > 2.0
    with page.expect_download() as download:
        page.click("#clip-download")
    assert download.value.suggested_filename == "dawg_drums_7.mid"
    midi = Path(download.value.path()).read_bytes()
    assert midi[:4] == b"MThd"
    shot(page, "generate")
    # DAWG-CORE gets the very clip on screen (the same request and seed again, delivered).
    before = len(core.imports)
    page.click("#clip-send")
    page.wait_for_selector("#clip-sent:text('DAWG-CORE imported the clip')")
    assert core.imports[before:] == [midi]


def test_generate_refusal_is_shown(page: Any) -> None:
    page.click("[data-tab=generate]")
    page.fill("#generate-form input[name=key]", "H minor")
    page.click("#generate-form button[type=submit]")
    error = page.locator("#generate .error")
    error.wait_for(state="visible")
    assert "422" in error.inner_text() and "key" in error.inner_text()


def test_a_value_the_browser_refuses_clears_the_last_error(page: Any) -> None:
    """The browser stops a form whose number is past its field's max before it is sent; the previous
    request's error stayed on screen beside the browser's note, as if it were about this one."""
    page.click("[data-tab=generate]")
    page.fill("#generate-form input[name=key]", "H minor")
    page.click("#generate-form button[type=submit]")
    page.locator("#generate .error").wait_for(state="visible")
    page.fill("#generate-form input[name=key]", "C")
    page.fill("#generate-form input[name=tempo]", "1000")
    page.click("#generate-form button[type=submit]")
    page.locator("#generate .error").wait_for(state="hidden")
    page.fill("#generate-form input[name=tempo]", "")


def test_mix_shows_meters_spectra_suggestions_and_renders(page: Any, files: dict[str, Path]) -> None:
    page.click("[data-tab=mix]")
    page.wait_for_selector("#mix-form select[name=project_id] option[value=night]", state="attached")
    page.set_input_files("#mix-form input[name=files]", [str(files["kick"]), str(files["bass"])])
    page.click("#mix-form button[type=submit]")
    page.wait_for_selector("#mix-result:not([hidden])")
    rows = page.locator("#mix-tracks tbody tr")
    assert rows.count() == 2
    assert page.locator("#mix-tracks tbody tr[data-track=Kick] td").nth(1).inner_text() == "kick"
    assert "dB" in page.locator("#mix-tracks tbody tr[data-track=Bass] td").nth(4).inner_text()
    assert page.locator("#mix-tracks meter").count() >= 2
    page.wait_for_function("() => document.querySelectorAll('canvas.spectrum').length == 2")
    assert canvas_ink(page, "#mix-tracks tr[data-track=Bass] canvas.spectrum") > 200
    assert page.locator("#mix-suggestions li").count() >= 1
    page.click("#mix-render")
    page.wait_for_selector("#mix-render-result:not([hidden])")
    assert page.get_attribute("#mix-audio", "src").startswith("blob:")
    assert "LUFS" in page.inner_text("#mix-render-figures")
    # Saved under a name that says what it is (the player's own menu saves the blob's random id).
    with page.expect_download() as wav:
        page.click("#mix-download")
    assert wav.value.suggested_filename == "stems_mix.wav"
    assert Path(wav.value.path()).read_bytes()[:4] == b"RIFF"
    spectrum = "#mix-tracks tr[data-track=Bass] canvas.spectrum"
    assert page.get_attribute(spectrum, "role") == "img"
    assert page.get_attribute(spectrum, "aria-label").startswith("spectrum of Bass")
    shot(page, "mix")


def test_the_page_loads_without_console_errors(browser: Any, engine: str) -> None:
    """Nothing the page asks for is missing: no 404 (a browser asks for /favicon.ico unless the page names an icon)."""
    context = browser.new_context()
    tab = context.new_page()
    console_errors: list[str] = []
    tab.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    tab.goto(f"{engine}/ui")
    tab.wait_for_selector("#engine-state:text-matches('engine .*ready')")
    tab.wait_for_load_state("networkidle")
    context.close()
    assert console_errors == []


def test_every_variation_plays(page: Any) -> None:
    """Another variation than the first has no preview yet: Play renders it (its seed alone) and plays it."""
    page.click("[data-tab=generate]")
    page.select_option("#generate-form select[name=part]", "melody")
    page.fill("#generate-form input[name=bars]", "1")
    page.fill("#generate-form input[name=seed]", "11")
    page.fill("#generate-form input[name=variations]", "2")
    page.click("#generate-form button[type=submit]")
    page.wait_for_selector("#clip:not([hidden])")
    page.select_option("#clip-variation", "1")
    assert figure(page, "clip-figures", "Seed") == "12"
    with page.expect_response(lambda response: "/api/v1/generate/midi" in response.url) as rendered:
        page.click("#clip-play")
    assert rendered.value.ok
    page.wait_for_function(
        "() => (document.querySelector('#clip-audio').getAttribute('src') || '').startsWith('blob:')"
    )
    assert page.locator("#generate .error").is_hidden()


def test_the_pages_own_messages_are_plain(page: Any) -> None:
    """A step the user left out is said as it is, not as an 'unexpected error' of the page."""
    page.click("#analyse-form button[type=submit]")  # no file chosen
    error = page.locator("#analyse .error")
    error.wait_for(state="visible")
    assert error.inner_text() == "choose or drop an audio file first"
    page.click("[data-tab=mix]")
    page.click("#mix-form button[type=submit]")  # no stems, no project: the page asks (the engine would take one)
    error = page.locator("#mix .error")
    error.wait_for(state="visible")
    assert error.inner_text() == "choose a project or drop stems first"


def test_a_silent_render_says_so(page: Any, files: dict[str, Path]) -> None:
    """A silent mix has no loudness or true peak (null in the JSON): the page says so, never 'null LUFS'."""
    page.click("[data-tab=mix]")
    page.set_input_files("#mix-form input[name=files]", [str(files["silence"])])
    page.click("#mix-form button[type=submit]")
    page.wait_for_selector("#mix-result:not([hidden])")
    page.click("#mix-render")
    page.wait_for_selector("#mix-render-result:not([hidden])")
    figures = page.inner_text("#mix-render-figures")
    assert "null" not in figures and "undefined" not in figures and "NaN" not in figures
    assert "silent" in figures


def test_the_mix_players_and_meters_have_names_or_stay_silent(page: Any, files: dict[str, Path]) -> None:
    """A screen reader announced the rendered mix's player without a name, and each level meter as a nameless
    "meter" before the number that says the same."""
    page.click("[data-tab=mix]")
    page.set_input_files("#mix-form input[name=files]", [str(files["kick"]), str(files["bass"])])
    page.click("#mix-form button[type=submit]")
    page.wait_for_selector("#mix-result:not([hidden])")
    meters = page.locator("#mix-tracks meter")
    assert meters.count() >= 2
    assert all(m.get_attribute("aria-hidden") == "true" for m in meters.all())
    assert page.get_attribute("#mix-audio", "aria-label") == "the rendered mix"


def test_a_refused_measurement_hides_the_last_report(page: Any, files: dict[str, Path]) -> None:
    """Under the error for a text file, the Kick and Bass report (and its rendered mix) stayed, read as this request's."""
    page.click("[data-tab=mix]")
    page.set_input_files("#mix-form input[name=files]", [str(files["kick"]), str(files["bass"])])
    page.click("#mix-form button[type=submit]")
    page.wait_for_selector("#mix-result:not([hidden])")
    page.set_input_files("#mix-form input[name=files]", [str(files["text"])])
    page.click("#mix-form button[type=submit]")
    error = page.locator("#mix .error")
    error.wait_for(state="visible")
    assert "415 unsupported_media_type" in error.inner_text()
    assert page.locator("#mix-result").is_hidden() and page.is_disabled("#mix-render")


def test_a_refused_generation_hides_the_last_clip(page: Any) -> None:
    """Under the new error, the previous request's clip would read as this request's answer."""
    page.click("[data-tab=generate]")
    page.select_option("#generate-form select[name=part]", "melody")
    page.fill("#generate-form input[name=bars]", "1")
    page.click("#generate-form button[type=submit]")
    page.wait_for_selector("#clip:not([hidden])")
    page.fill("#generate-form input[name=key]", "H minor")
    page.click("#generate-form button[type=submit]")
    page.locator("#generate .error").wait_for(state="visible")
    assert page.locator("#clip").is_hidden()


def test_the_address_hash_picks_the_tab(page: Any) -> None:
    """A link to /ui#mix from the page itself, or back/forward, changes only the hash: the tab follows it."""
    page.click("[data-tab=generate]")
    page.evaluate("() => { location.hash = '#mix'; }")
    page.wait_for_selector("section#mix:not([hidden])")
    assert page.locator("section#generate").is_hidden()
    assert page.get_attribute("[data-tab=mix]", "aria-selected") == "true"


def test_each_figure_sits_under_its_own_name(page: Any, files: dict[str, Path]) -> None:
    """The figures are a grid of name-value cells: a value is under its name, never beside the next
    name (seven columns of bare dt and dd put 'File' at the end of one row and its value at the
    start of the next, and a long file name ran over the next name)."""
    page.set_input_files("#analyse-form input[name=file]", str(files["song"]))
    page.click("#analyse-form button[type=submit]")
    page.wait_for_selector("#analysis:not([hidden])")
    pairs = page.eval_on_selector_all(
        "#analysis-figures dt",
        """terms => terms.map(t => { const d = t.nextElementSibling, a = t.getBoundingClientRect(),
                                           b = d.getBoundingClientRect();
                                     return [t.textContent, a.left, b.left, a.bottom, b.top, b.right,
                                             t.parentElement.getBoundingClientRect().right]; })""",
    )
    assert len(pairs) >= 8
    for name, term_left, value_left, term_bottom, value_top, value_right, cell_right in pairs:
        assert abs(term_left - value_left) < 1, name
        assert value_top >= term_bottom - 1, name
        assert value_right <= cell_right + 1, name
    assert page.locator("#analyse [role=status]").inner_text() == "Analysed song.wav."
    # The time scale under the waveform reads as times (m:ss), not bare numbers.
    page.locator("#timeline").get_by_text("0:00", exact=True).wait_for()


def test_a_second_click_starts_no_second_request(page: Any, files: dict[str, Path]) -> None:
    """While a section's request runs, its buttons that start work are disabled: two quick clicks (or
    Enter again) are one analysis, one generation, one delivery, one measurement, one render."""
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url.split("/api/v1/")[-1]) if r.method == "POST" else None)
    twice = "s => { const b = document.querySelector(s); b.click(); b.click(); }"
    page.set_input_files("#analyse-form input[name=file]", str(files["song"]))
    page.evaluate(twice, "#analyse-form button[type=submit]")
    page.wait_for_selector("#analysis:not([hidden])")
    page.click("[data-tab=generate]")
    page.fill("#generate-form input[name=bars]", "1")
    page.evaluate(twice, "#generate-form button[type=submit]")
    page.wait_for_selector("#clip:not([hidden])")
    page.evaluate(twice, "#clip-send")
    page.wait_for_selector("#clip-sent:text('DAWG-CORE')")
    page.click("[data-tab=mix]")
    page.set_input_files("#mix-form input[name=files]", [str(files["kick"]), str(files["bass"])])
    page.evaluate(twice, "#mix-form button[type=submit]")
    page.wait_for_selector("#mix-render:not([disabled])")
    page.evaluate(twice, "#mix-render")
    page.wait_for_selector("#mix-render-result:not([hidden])")
    assert page.is_enabled("#mix-form button[type=submit]") and page.is_enabled("#mix-render")
    assert sorted(posts) == sorted(
        ["analyze/audio", "generate/midi", "generate/midi", "mixing/suggest", "mixing/auto_level", "mixing/render"]
    )


def test_cancel_stops_the_job(page: Any, files: dict[str, Path]) -> None:
    """A long request shows its progress with a Cancel button: the engine is told to cancel the job,
    the page says so and is ready for the next one."""
    long_song = files["song"].with_name("long_song.wav")
    long_song.write_bytes(wav_bytes(song_in_g_major(bpm=110.0, bars=120)))  # ~4 minutes
    page.set_input_files("#analyse-form input[name=file]", str(long_song))
    with page.expect_response(lambda r: "/api/v1/jobs/" in r.url and r.request.method == "GET"):
        page.click("#analyse-form button[type=submit]")
    assert page.is_disabled("#analyse-form button[type=submit]")
    with page.expect_response(lambda r: r.url.endswith("/cancel")) as cancel:
        page.click("#analyse .progress .cancel")
    assert cancel.value.json()["state"] == "cancelled"
    error = page.locator("#analyse .error")
    error.wait_for(state="visible")
    assert "cancelled" in error.inner_text()
    assert page.locator("#analyse .progress").is_hidden() and page.locator("#analysis").is_hidden()
    assert page.is_enabled("#analyse-form button[type=submit]")


def test_the_header_says_when_the_engine_is_gone(browser: Any, tmp_path: Path, files: dict[str, Path]) -> None:
    """The engine stopped mid-session: the request says the engine did not answer, and the header no
    longer says 'ready'."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    tab = context.new_page()
    tab.set_default_timeout(TIMEOUT_MS)
    with live_engine(make_settings(tmp_path)) as base:
        tab.goto(f"{base}/ui")
        tab.wait_for_selector("#engine-state:text-matches('engine .*ready')")
    tab.set_input_files("#analyse-form input[name=file]", str(files["song"]))
    tab.click("#analyse-form button[type=submit]")
    error = tab.locator("#analyse .error")
    error.wait_for(state="visible")
    # In the page's words: not the browser's own "(Failed to fetch)", which says no more and differs by browser.
    assert error.inner_text() == "the engine did not answer: is it running?"
    tab.wait_for_selector("#engine-state:text-matches('engine unreachable')", timeout=5_000)
    shot(tab, "engine-gone")
    context.close()


def test_a_phone_sized_page_does_not_scroll_sideways(page: Any, files: dict[str, Path]) -> None:
    """At 390 px the page keeps its width: the tabs wrap, a long value breaks, the tracks' table
    scrolls in its own box."""
    page.set_viewport_size({"width": 390, "height": 844})
    width = "() => document.documentElement.scrollWidth"
    assert page.evaluate(width) <= 390
    page.set_input_files("#analyse-form input[name=file]", str(files["song"]))
    page.click("#analyse-form button[type=submit]")
    page.wait_for_selector("#analysis:not([hidden])")
    assert page.evaluate(width) <= 390
    page.click("[data-tab=mix]")
    page.set_input_files("#mix-form input[name=files]", [str(files["kick"]), str(files["bass"])])
    page.click("#mix-form button[type=submit]")
    page.wait_for_selector("#mix-result:not([hidden])")
    page.wait_for_function("() => document.querySelectorAll('canvas.spectrum').length == 2")
    assert page.evaluate(width) <= 390
    shot(page, "mix-phone")


def test_advice_that_is_no_problem_reads_as_a_note(page: Any, files: dict[str, Path]) -> None:
    """The summary counts problems only ('1 high, 1 low priority finding(s)'); the list marks the
    engine's info findings as notes, so that its counts match what the summary says."""
    page.click("[data-tab=mix]")
    page.set_input_files("#mix-form input[name=files]", [str(files["kick"]), str(files["bass"])])
    page.click("#mix-form button[type=submit]")
    page.wait_for_selector("#mix-result:not([hidden])")
    heads = page.locator("#mix-suggestions li strong").all_inner_texts()
    notes = [h for h in heads if h.startswith("note ·")]
    assert notes, heads  # the loudness advice, at least, is info
    summary = page.inner_text("#mix-summary")
    for priority in ("high", "medium", "low"):
        shown = sum(1 for h in heads if h.startswith(f"{priority} ·"))
        said = re.search(rf"(\d+) {priority}\b", summary)
        assert shown == (int(said.group(1)) if said else 0), (priority, summary, heads)


def test_transcribe_draws_the_notes_and_downloads_the_midi(page: Any, files: dict[str, Path]) -> None:
    """A recording chosen on Analyse is offered on Transcribe; its notes are drawn on the piano roll (in
    words too) and download as <recording>_notes.mid; as drums, the hits as a drum grid, _drums.mid."""
    page.set_input_files("#analyse-form input[name=file]", str(files["line"]))
    page.click("[data-tab=transcribe]")
    assert page.eval_on_selector("#transcribe-form input[name=file]", "i => i.files[0]?.name") == "My take.wav"
    page.select_option("#transcribe-form select[name=quantize]", "1/16")
    page.click("#transcribe-form button[type=submit]")
    assert re.fullmatch(r"Transcribed My take\.wav: \d+ notes\.", status_line(page, "transcribe"))
    assert int(figure(page, "transcription-figures", "Notes")) >= 8
    assert figure(page, "transcription-figures", "Range") == "C4 – C5"
    assert figure(page, "transcription-figures", "Quantize") == "to 1/16"
    assert canvas_ink(page, "#transcription-roll") > 500
    assert re.fullmatch(r"piano roll: \d+ notes from C4 to C5", page.get_attribute("#transcription-roll", "aria-label"))
    with page.expect_download() as download:
        page.click("#transcription-download")
    assert download.value.suggested_filename == "My_take_notes.mid"
    assert Path(download.value.path()).read_bytes()[:4] == b"MThd"
    assert page.get_attribute("#transcription-audio", "src").startswith("blob:")  # the recording, to play against
    shot(page, "transcribe")
    page.select_option("#transcribe-form select[name=instrument]", "drums")
    assert page.locator("#transcribe-settings").is_hidden()  # basic-pitch's settings: not the drums'
    page.click("#transcribe-form button[type=submit]")
    assert status_line(page, "transcribe").endswith("drum hits.")
    assert "Kick" in page.get_attribute("#transcription-roll", "aria-label")
    assert page.get_attribute("#transcription-roll", "aria-label").startswith("drum grid: ")
    with page.expect_download() as download:
        page.click("#transcription-download")
    assert download.value.suggested_filename == "My_take_drums.mid"


def test_accompany_shows_what_it_followed_plays_the_preview_and_downloads(page: Any, files: dict[str, Path]) -> None:
    """The key, meter, tempo and the chord of every bar it followed, where the chords came from in
    words, the preview mixed under the recording, and <recording>_band.mid."""
    page.click("[data-tab=accompany]")
    page.set_input_files("#accompany-form input[name=file]", str(files["drift"]))
    page.fill("#accompany-form input[name=seed]", "7")
    page.click("#accompany-form button[type=submit]")
    page.wait_for_selector("#band:not([hidden])")
    assert figure(page, "band-figures", "Key") in ("G major", "E minor")
    assert figure(page, "band-figures", "Meter") == "4/4"
    assert figure(page, "band-figures", "Chords") == "followed the chords heard"
    assert figure(page, "band-figures", "Seed") == "7"
    bars = int(figure(page, "band-figures", "Bars"))
    chart = page.locator("#band-chords li")
    assert chart.count() == bars >= 7
    assert {"G", "C", "D"} <= {text.split()[-1] for text in chart.all_inner_texts()}
    assert chart.first.get_attribute("aria-label").startswith("bar 1: ")
    duration = page.eval_on_selector(
        "#band-audio",
        "a => new Promise(r => a.readyState >= 1 ? r(a.duration) : a.addEventListener('loadedmetadata', () => r(a.duration)))",
    )
    assert duration > 10.0  # the preview: the whole recording with the band under it
    with page.expect_download() as download:
        page.click("#band-download")
    assert download.value.suggested_filename == "drift_band.mid"
    assert Path(download.value.path()).read_bytes()[:4] == b"MThd"
    shot(page, "accompany")
    # Asked to harmonise the melody, it says so; without a preview there is no player.
    page.select_option("#accompany-form select[name=harmony]", "melody")
    page.uncheck("#accompany-form input[name=preview]")
    page.click("#accompany-form button[type=submit]")
    page.wait_for_selector("#band-figures dd:text-is('harmonised the melody')")
    assert page.locator("#band-audio").is_hidden()
    # Chords typed in are played bar by bar, whatever the harmony list says.
    page.fill("#accompany-form input[name=chords]", "Am D G C")
    page.fill("#accompany-form input[name=key]", "E minor")
    page.click("#accompany-form button[type=submit]")
    page.wait_for_selector("#band-figures dd:text-is('played the key or chords given')")
    assert figure(page, "band-figures", "Key") == "E minor"
    assert [text.split()[-1] for text in page.locator("#band-chords li").all_inner_texts()[:4]] == ["Am", "D", "G", "C"]


def test_short_chords_never_print_over_each_other(page: Any, files: dict[str, Path]) -> None:
    """A chord on every beat or less (a techno loop's): a label that would touch the one before it
    goes on a second row, and where both rows are taken it is left out."""
    beat = 60 / 110
    names = ["Am7", "F#m7b5", "Cmaj7", "G"]
    analysis = {
        "filename": "song.wav", "duration": 32 * beat, "tempo": 110.0, "time_signature": "4/4",
        "key": "A minor", "key_confidence": 0.4, "loudness_lufs": -14.0, "true_peak_dbtp": -1.0,
        "loudness_range_lu": 2.0, "beats": 32, "notes": [],
        "beat_times": [round(i * beat, 3) for i in range(32)],
        "downbeat_times": [round(i * beat, 3) for i in range(0, 32, 4)],
        "chords": [{"start": round(i * 0.2, 3), "end": round(i * 0.2 + 0.2, 3), "label": names[i % 4]} for i in range(60)],
    }  # fmt: skip
    page.route("**/api/v1/analyze/audio", lambda route: route.fulfill(json=analysis))
    page.set_input_files("#analyse-form input[name=file]", str(files["song"]))
    page.click("#analyse-form button[type=submit]")
    page.wait_for_selector("#analysis:not([hidden])")
    labels = page.locator("#waveform [data-kind=chord]")
    labels.first.wait_for()
    boxes = [labels.nth(i).bounding_box() for i in range(labels.count())]
    assert len(boxes) >= 10
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            apart = a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
            assert apart or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"], (a, b)
    shot(page, "analyse-short-chords")


def test_the_render_mixes_the_stems_measured(page: Any, files: dict[str, Path]) -> None:
    """Stems changed in the form after measuring: Render the mix renders the stems measured (the
    report on screen is theirs) and says which."""
    page.click("[data-tab=mix]")
    page.set_input_files("#mix-form input[name=files]", [str(files["kick"]), str(files["bass"])])  # 4 s
    page.click("#mix-form button[type=submit]")
    page.wait_for_selector("#mix-render:not([disabled])")
    page.set_input_files("#mix-form input[name=files]", [str(files["silence"])])  # 2 s, not measured
    page.click("#mix-render")
    page.wait_for_selector("#mix-render-result:not([hidden])")
    figures = page.inner_text("#mix-render-figures")
    assert "4.0 s" in figures and "silent" not in figures, figures
    assert figures.startswith("Mix of the 2 stems measured above · "), figures
    assert page.inner_text("#mix-render") == "Render the mix of 2 stems"


def test_the_model_lists_fill_when_the_engine_answers_again(browser: Any, engine: str) -> None:
    """GET /api/v1/models failed at load (the engine gone a moment): the Style and Model lists are
    filled once it answers, without a reload."""
    context = browser.new_context()
    tab = context.new_page()
    asked: list[str] = []

    def models(route: Any) -> None:
        asked.append(route.request.url)
        if len(asked) == 1:
            route.abort()
        else:
            route.continue_()

    tab.route("**/api/v1/models", models)
    tab.goto(f"{engine}/ui")
    tab.wait_for_selector("#generate-form select[name=genre] option[value=funk]", state="attached", timeout=15_000)
    tab.wait_for_selector("#accompany-form select[name=style] option[value=funk]", state="attached", timeout=1_000)
    assert tab.locator("#generate-form select[name=model] option").count() >= 2  # auto, and theory at least
    tab.wait_for_selector("#engine-state:text-matches('engine .*ready')")
    context.close()
    assert len(asked) >= 2


def test_the_tabs_are_a_keyboard_tab_list(page: Any) -> None:
    """The WAI-ARIA tabs pattern: each tab names its panel, the panels name their tab, only the selected
    tab is in the Tab order, and the arrow keys, Home and End move between the tabs and show them."""
    for name in ("analyse", "transcribe", "accompany", "generate", "mix"):
        assert page.get_attribute(f"#tab-{name}", "aria-controls") == name
        assert page.get_attribute(f"section#{name}", "role") == "tabpanel"
        assert page.get_attribute(f"section#{name}", "aria-labelledby") == f"tab-{name}"
    page.focus("#tab-analyse")
    page.keyboard.press("ArrowRight")
    page.wait_for_selector("section#transcribe:not([hidden])")
    assert page.evaluate("() => document.activeElement.id") == "tab-transcribe"
    assert page.get_attribute("#tab-transcribe", "tabindex") == "0"
    assert page.get_attribute("#tab-analyse", "tabindex") == "-1"
    page.keyboard.press("End")
    page.wait_for_selector("section#mix:not([hidden])")
    page.keyboard.press("ArrowRight")  # past the last: the first
    page.wait_for_selector("section#analyse:not([hidden])")
    page.keyboard.press("ArrowLeft")
    page.wait_for_selector("section#mix:not([hidden])")
    page.keyboard.press("Home")
    page.wait_for_selector("section#analyse:not([hidden])")
    assert page.locator("section#mix").is_hidden()
    assert page.get_attribute("#tab-analyse", "aria-selected") == "true"
