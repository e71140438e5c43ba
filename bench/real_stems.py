#!/usr/bin/env python3
"""Real stems for the mixing's roles from audio: data/real_stems (evaluation only, never shipped or trained on).

The role classifier (models/role_classifier.json) was fitted and scored on General MIDI renders only: no
voice, no real instrument. This set is the real material to judge the roles a stem named "Audio 3" gets
(bench/mixing_roles_real.py): isolated recordings of people singing and speaking, and of instruments, each
read with `git show` from a bare mirror that the search tool's `fetch` brought (MIRRORS/<owner>+<name>/repo),
pinned to the commit used here.

Each item's audio is written as a WAV, decoded as it is stored (its rate and channels; PCM kept at its
bit depth, lossy formats as float), except where the dataset itself defines a split: iKala's right channel
is the voice and its left the accompaniment. FSDD's spoken digits (0.3-0.8 s each) are laid end to end per
speaker into one stem. An item shorter than MIN_DURATION_S, silent (peak under SILENT_PEAK_DBFS: several
mirdata fixtures are -72 or -90 dBFS placeholders) or a steady pure tone (multivox's fixtures are a 440 Hz
sine) is skipped and printed with the reason.

ground_truth.json: a list of {file, group, role, voice, source, licence, note}: ``role`` is what a mix
engineer would call the stem, in ai.mixing.roles.ROLES; ``voice`` is true for singing or speech; ``source``
is repository@commit:path; ``licence`` as the dataset's README or mirdata's loader states it.

Left out on purpose (mirdata fixtures): mixes (orchset, rwc_*, gtzan, cante100, IRMAS's test excerpt of voice
and guitar, openmic2018's clip whose only label is clarinet at relevance 0.17, JTD's raw trio), rendered or
resynthesised audio (slakh, mdb_stem_synth's RESYN, scms), guitarset and good_sounds (-90 / -72 dBFS
placeholders), and the one-shots under 1 s (mridangam_stroke, freesound_one_shot_percussive_sounds).

Usage:  python bench/real_stems.py --mirrors /work/.mirror --out data/real_stems
Needs:  git, numpy, soundfile (libsndfile 1.1+ for MP3).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ai.mixing.roles import ROLES  # noqa: E402
from bench.real_extra import git_show  # noqa: E402  (the mirrors are read as real_extra reads them)

MIN_DURATION_S = 1.0
SILENT_PEAK_DBFS = -40.0
"""A stem whose peak is under this is no usable recording: mirdata's placeholders sit at -72 and -90 dBFS, the
quietest stems kept (TinySOL's flute note, Saraga's ghatam microphone) peak at -34 and -33 dBFS."""
TONE_SHARE = 0.98
"""A stem with this share of its energy within 5 FFT bins of one frequency and a level steady to TONE_STEADY_DB
is a test tone, not a recording (multivox's fixtures: 440 Hz at a constant level). Real held notes stay below:
a clean guitar note at fret 22 has 0.99 but decays 7.8 dB, an anechoic flute 0.99 but moves 1.0 dB."""
TONE_STEADY_DB = 0.5
KEEP_SUBTYPES = ("PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE")
"""Subtypes a lossless source (WAV, FLAC, AIFF) keeps in its WAV; a lossy one (MP3, Vorbis) is written as FLOAT, its
decoded samples unrounded (they may pass full scale)."""

MIRDATA = ("mir-dataset-loaders/mirdata", "b95bf3893616ff16082beed7869f144bb711c163")
FIXTURES = "tests/resources/mir_datasets/"
LIBROSA_DATA = ("librosa/data", "450cdd8a002c98e7bdbfebb309fc1ed024001f77")
FSDD = ("Jakobovski/free-spoken-digit-dataset", "26eb9aaf76e81b692f806f9140c2d2777410d7a1")
WHISPER = ("openai/whisper", "c0d2f624c09dc18e709e37c2ad90c039a4eb72a2")
COQUI = ("coqui-ai/TTS", "dbf1a08a0d4e47fdad6172e433eeb34bc6b13b4e")
SPEECH_RECOGNITION = ("Uberi/speech_recognition", "0a675d1e5232dbeae1be8d071c923fb37f0f163a")
SYNCTOOLBOX = ("meinardmueller/synctoolbox", "583b47de2b8e152b3240731c5ff9886b98c8f053")

# The licences as each dataset's mirdata loader (LICENSE_INFO, docstring) or README states them.
LICENCES = {
    "dagstuhl_choirset": "CC BY 4.0",
    "compmusic_jingju_acappella": "audio ending 'qm': per isophonics.org/SingingVoiceDataset (loader)",
    "saraga_carnatic": "CC BY-NC-SA 4.0",
    "ikala": "custom licence when it was distributed (mac.citi.sinica.edu.tw/ikala)",
    "medleydb_pitch": "CC BY-NC-SA 4.0",
    "vocadito": "CC BY 4.0",
    "tonas": "free for internal non-commercial use only; no redistribution (COFLA, Universidad de Sevilla)",
    "phenicx_anechoic": "CC BY-NC-SA 4.0",
    "filosax": "research licence: non-commercial research only, no redistribution (Foster & Dixon 2021)",
    "egfxset": "CC BY 4.0",
    "idmt_smt_audio_effects": "CC BY-NC-ND 4.0",
    "irmas": "CC BY-NC-SA 3.0 (non-commercial, no redistribution)",
    "medley_solos_db": "CC BY 4.0",
    "tinysol": "CC BY 4.0",
    "maestro": "CC BY-NC-SA 4.0",
    "jtd": "MIT (the database; its audio is from commercial recordings, access on request)",
    "four_way_tabla": "CC BY 4.0 (LICENSE_INFO; the loader's docstring says CC BY 3.0)",
    "brid": "CC BY-NC-SA 4.0",
}
LIBRISPEECH = "CC BY 4.0 (LibriSpeech SLR12, per librosa/data's .txt)"
FSDD_LICENCE = "CC BY-SA 4.0 (README)"
LJSPEECH = "public domain (LJ Speech; not stated in coqui-ai/TTS, whose code is MPL-2.0)"


@dataclass(frozen=True)
class Item:
    """One stem to write: ``paths`` in ``repo`` at ``commit`` (several are laid end to end), optionally
    one ``channel`` of them (the dataset's own split)."""

    group: str
    name: str
    role: str
    voice: bool
    repo: str
    commit: str
    paths: tuple[str, ...]
    licence: str
    note: str
    channel: int | None = None

    @property
    def file(self) -> str:
        return f"{self.group}/{self.name}.wav"

    @property
    def source(self) -> str:
        where = f"{self.repo}@{self.commit}:{', '.join(self.paths)}"
        return where if self.channel is None else f"{where} (channel {self.channel}, 0 = left)"


def record(item: Item) -> dict[str, Any]:
    """The ground-truth record of ``item``. Raises ValueError for a role the engine does not know."""
    if item.role not in ROLES:
        raise ValueError(f"{item.file}: {item.role!r} is not one of {', '.join(ROLES)}")
    return {
        "file": item.file,
        "group": item.group,
        "role": item.role,
        "voice": item.voice,
        "source": item.source,
        "licence": item.licence,
        "note": item.note,
    }


def select_channel(samples: np.ndarray, channel: int | None) -> np.ndarray:
    """``samples`` [shape=(n, channels)] as stored, or its one ``channel`` [shape=(n, 1)] where the dataset
    defines the channels as different sources (iKala: 0 = accompaniment, 1 = voice)."""
    if channel is None:
        return samples
    if not 0 <= channel < samples.shape[1]:
        raise ValueError(f"channel {channel} of a {samples.shape[1]}-channel file")
    return samples[:, channel : channel + 1]


def skip_reason(samples: np.ndarray, sr: int) -> str | None:
    """Why ``samples`` [shape=(n, channels)] at ``sr`` Hz is no stem to score, or None: too short, silent, or a
    steady pure tone (a fixture's placeholder)."""
    duration = samples.shape[0] / sr
    if duration < MIN_DURATION_S:
        return f"{duration:.2f} s, under {MIN_DURATION_S:.0f} s"
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak <= 10 ** (SILENT_PEAK_DBFS / 20):
        return f"silent (peak {20 * np.log10(max(peak, 1e-12)):.1f} dBFS)"
    mono = samples.mean(axis=1)
    power = np.abs(np.fft.rfft(mono * np.hanning(mono.size))) ** 2
    k = int(np.argmax(power))
    share = float(power[max(k - 5, 0) : k + 6].sum() / power.sum())
    hop = sr // 10
    blocks = mono[: mono.size // hop * hop].reshape(-1, hop)
    rms = np.sqrt(np.mean(blocks**2, axis=1) + 1e-20)
    steady = float(20 * np.log10(rms.max() / np.median(rms)))
    if share > TONE_SHARE and steady < TONE_STEADY_DB:
        return f"a steady pure tone at {k * sr / mono.size:.0f} Hz (a placeholder, not a recording)"
    return None


def read_item(mirrors: Path, item: Item) -> tuple[np.ndarray, int, str]:
    """(samples [shape=(n, channels)], rate, WAV subtype to write) of ``item``."""
    parts, rates, subtypes = [], set(), set()
    for path in item.paths:
        data = git_show(mirrors, item.repo, item.commit, path)
        info = sf.info(io.BytesIO(data))
        samples, sr = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
        parts.append(samples)
        rates.add(sr)
        subtypes.add(info.subtype if info.format in ("WAV", "FLAC", "AIFF") else "FLOAT")
    if len(rates) != 1 or len({p.shape[1] for p in parts}) != 1:
        raise ValueError(f"{item.file}: the parts differ in rate or channels")
    subtype = subtypes.pop() if len(subtypes) == 1 else "FLOAT"
    samples = select_channel(np.concatenate(parts), item.channel)
    return samples, rates.pop(), subtype if subtype in KEEP_SUBTYPES else "FLOAT"


def _mirdata(dataset: str, path: str, name: str, role: str, voice: bool, note: str, channel: int | None = None) -> Item:
    return Item(
        dataset,
        name,
        role,
        voice,
        MIRDATA[0],
        MIRDATA[1],
        (FIXTURES + f"{dataset}/{path}",),
        LICENCES[dataset],
        note,
        channel,
    )


def mirdata_items() -> list[Item]:
    items = []
    dcs = "audio_wav_22050_mono/DCS_LI_QuartetB_Take04_"
    mics = {
        "DYN": "handheld dynamic microphone, with the others' bleed",
        "HSM": "headset microphone, with the others' bleed",
        "LRX": "larynx microphone (a contact microphone on the throat: little bleed, a muffled voice)",
    }
    parts = {"S1": "soprano", "A2": "alto", "T2": "tenor", "B2": "bass"}
    close_mics = "A2_DYN A2_HSM A2_LRX B2_DYN B2_HSM B2_LRX S1_DYN S1_LRX T2_DYN T2_HSM T2_LRX"  # all the fixture has
    for part, mic in (pair.split("_") for pair in close_mics.split()):
        items.append(
            _mirdata(
                "dagstuhl_choirset",
                f"{dcs}{part}_{mic}.wav",
                f"{part}_{mic}",
                "vocals",
                True,
                f"a cappella quartet: the {parts[part]} singer's {mics[mic]}",
            )
        )
    for room, what in (
        ("Stereo_STL", "room microphone, left"),
        ("Stereo_STR", "room microphone, right"),
        ("Stereo_STM", "room microphones' mixdown"),
        ("StereoReverb_STM", "room microphones' mixdown with artificial reverb"),
    ):
        items.append(
            _mirdata(
                "dagstuhl_choirset",
                f"{dcs}{room}.wav",
                room,
                "vocals",
                True,
                f"the a cappella quartet (four voices) from the {what}",
            )
        )
    items.append(
        _mirdata(
            "compmusic_jingju_acappella",
            "wav/laosheng/lseh-Tan_Yang_jia-Hong_yang_dong-qm.wav",
            "laosheng_qm",
            "vocals",
            True,
            "Beijing opera singing (laosheng role), a cappella",
        )
    )
    saraga = "saraga1.5_carnatic/Cherthala Ranganatha Sharma at Arkay by Cherthala Ranganatha Sharma/Bhuvini Dasudane/"
    for stem, role, voice, note in (
        ("vocal", "vocals", True, "Carnatic concert: the singer's microphone (the tanpura and violin bleed in)"),
        ("violin", "lead", False, "Carnatic concert: the violin's microphone, the melody accompanying the singer"),
        ("mridangam-left", "drums", False, "Carnatic concert: mridangam (barrel drum), left microphone"),
        ("mridangam-right", "drums", False, "Carnatic concert: mridangam (barrel drum), right microphone"),
        ("ghatam", "drums", False, "Carnatic concert: ghatam (clay pot percussion) microphone, quiet"),
    ):
        items.append(
            _mirdata("saraga_carnatic", f"{saraga}Bhuvini Dasudane.multitrack-{stem}.mp3", stem, role, voice, note)
        )
    items += [
        _mirdata(
            "ikala",
            "Wavfile/10161_chorus.wav",
            "10161_chorus_voice",
            "vocals",
            True,
            "karaoke singer, the file's right channel (iKala: right = voice)",
            channel=1,
        ),
        _mirdata(
            "ikala",
            "Wavfile/10161_chorus.wav",
            "10161_chorus_accompaniment",
            "music",
            False,
            "the song's backing (iKala: left channel = accompaniment): a mix a mixer would call music",
            channel=0,
        ),
        _mirdata(
            "medleydb_pitch",
            "audio/AClassicEducation_NightOwl_STEM_08.wav",
            "NightOwl_STEM_08",
            "vocals",
            True,
            "a band's lead vocal stem (metadata: male singer)",
        ),
        _mirdata(
            "vocadito",
            "Audio/vocadito_1.wav",
            "vocadito_1",
            "vocals",
            True,
            "solo monophonic singing, recorded on a consumer device",
        ),
        _mirdata(
            "tonas",
            "Deblas/01-D_AMairena.wav",
            "Deblas_AMairena",
            "vocals",
            True,
            "flamenco a cappella singing (deblas)",
        ),
    ]
    phenicx = {
        "bassoon": ("lead", "a wind line"),
        "cello": ("pad", "a section string line, mid-low register: 'pad' (strings), as training's GM strings are"),
        "clarinet": ("lead", "a wind line"),
        "doublebass": ("bass", "the bass line"),
        "flute": ("lead", "a wind line"),
        "horn": ("lead", "a brass line (the engine's names read 'horn' as lead)"),
        "oboe": ("lead", "a wind line"),
        "trumpet": ("lead", "a brass line"),
        "viola": ("pad", "a section string line, middle register: 'pad' (strings), as training's GM strings are"),
        "violin": ("lead", "a violin line"),
    }
    for name in (
        "bassoon1",
        "bassoon2",
        "cello",
        "clarinet1",
        "clarinet2",
        "doublebass",
        "flute1",
        "flute2",
        "horn1",
        "horn2",
        "oboe1",
        "oboe2",
        "trumpet1",
        "trumpet2",
        "viola1",
        "viola2",
        "violin1",
        "violin2",
        "violin3",
        "violin4",
    ):
        role, what = phenicx[name.rstrip("0123456789")]
        items.append(
            _mirdata(
                "phenicx_anechoic",
                f"audio/beethoven/{name}.wav",
                name,
                role,
                False,
                f"Beethoven, Eroica: one player's anechoic recording, {what}",
            )
        )
    for who in ("1", "2"):
        for take in ("01", "02"):
            items.append(
                _mirdata(
                    "filosax",
                    f"Participant {who}/{take}/Sax.wav",
                    f"p{who}_{take}_sax",
                    "lead",
                    False,
                    "jazz tenor saxophone, solo recording",
                )
            )
    for take in ("01", "02"):
        for mix in ("Bass_Drums", "Piano_Drums"):
            what = mix.replace("_", " and ").lower()
            items.append(
                _mirdata(
                    "filosax",
                    f"Backing/{take}/{mix}.wav",
                    f"{take}_{mix}",
                    "music",
                    False,
                    f"Aebersold backing track's {what} (one side of the stereo backing): a submix, 'music'",
                )
            )
    for path, name, note in (
        ("Clean/Middle/6-22.wav", "clean_middle_6-22", "clean Stratocaster note (string 6, fret 22)"),
        ("TapeEcho/Bridge-Middle/1-0.wav", "tapeecho_1-0", "Stratocaster open string through a tape echo"),
        ("TapeEcho/Bridge/2-0.wav", "tapeecho_2-0", "Stratocaster open string through a tape echo"),
    ):
        items.append(_mirdata("egfxset", path, name, "guitar", False, note))
    items += [
        _mirdata(
            "idmt_smt_audio_effects",
            "Gitarre monophon2/Samples/Tremolo/G73-45200-3341-33944.wav",
            "guitar_tremolo",
            "guitar",
            False,
            "electric guitar note through a tremolo",
        ),
        _mirdata(
            "irmas",
            "IRMAS-TrainingData/cla/[cla][cla]0189__2.wav",
            "cla_0189_2",
            "lead",
            False,
            "predominant clarinet over its accompaniment (IRMAS: an excerpt of a mix, not an isolated stem)",
        ),
        _mirdata(
            "medley_solos_db",
            "audio/Medley-solos-DB_validation-3_d07b1fc0-567d-52c2-fef4-239f31c9d40e.wav",
            "flute_d07b1fc0",
            "lead",
            False,
            "solo flute (metadata: flute)",
        ),
        _mirdata(
            "tinysol",
            "audio/Strings/Contrabass/ordinario/Cb-ord-A2-mf-2c-N.wav",
            "contrabass_A2",
            "bass",
            False,
            "one contrabass note, A2, mf",
        ),
        _mirdata(
            "tinysol",
            "audio/Winds/Flute/ordinario/Fl-ord-C4-mf-N-T14d.wav",
            "flute_C4",
            "lead",
            False,
            "one flute note, C4, mf",
        ),
        _mirdata(
            "maestro",
            "2018/MIDI-Unprocessed_Chamber3_MID--AUDIO_10_R3_2018_wav--1.wav",
            "chamber3_10",
            "keys",
            False,
            "solo grand piano (competition performance)",
        ),
    ]
    jtd = "processed/barronk-allgodschildren-drummondrrileyb-1990-8b77c067_"
    for stem, role in (("bass", "bass"), ("drums", "drums"), ("piano", "keys")):
        items.append(
            _mirdata(
                "jtd",
                f"{jtd}{stem}.wav",
                stem,
                role,
                False,
                f"jazz trio ({stem}): separated from the commercial mix by a source-separation model",
            )
        )
    items += [
        _mirdata(
            "four_way_tabla",
            "4way-tabla-ismir21-dataset/test/audios/binati_SRC.wav",
            "binati_SRC",
            "drums",
            False,
            "tabla solo",
        ),
        _mirdata(
            "four_way_tabla",
            "4way-tabla-ismir21-dataset/train/audios/AHK_solo-tintal-1.wav",
            "AHK_solo-tintal-1",
            "drums",
            False,
            "tabla solo",
        ),
        _mirdata(
            "brid",
            "BRID_1.0/Data/Acoustic Mixtures/4 Instruments/[0001] M4-01-SA.wav",
            "M4-01-SA",
            "drums",
            False,
            "four Brazilian percussion instruments played together (samba), one recording",
        ),
    ]
    return items


def speech_items() -> list[Item]:
    repo, commit = LIBROSA_DATA
    items = [
        Item("librispeech", name, "speech", True, repo, commit, (f"audio/{name}.hq.ogg",), LIBRISPEECH, note)
        for name, note in (
            ("198-209-0000", "audiobook reading (LibriSpeech), female reader"),
            ("3436-172162-0000", "audiobook reading (LibriSpeech), male reader"),
            ("5703-47212-0000", "audiobook reading (LibriSpeech), male reader"),
        )
    ]
    fsdd_repo, fsdd_commit = FSDD
    for speaker, accent in (
        ("george", "Greek"),
        ("jackson", "US"),
        ("lucas", "German"),
        ("nicolas", "Belgian French"),
        ("theo", "US"),
        ("yweweler", "German"),
    ):
        paths = tuple(f"recordings/{digit}_{speaker}_{take}.wav" for take in (0, 1) for digit in range(10))
        items.append(
            Item(
                "fsdd",
                speaker,
                "speech",
                True,
                fsdd_repo,
                fsdd_commit,
                paths,
                FSDD_LICENCE,
                f"spoken digits 0-9 twice, 8 kHz ({accent}-accented English), 20 files laid end to end",
            )
        )
    items.append(
        Item(
            "whisper",
            "jfk",
            "speech",
            True,
            WHISPER[0],
            WHISPER[1],
            ("tests/jfk.flac",),
            "not stated (a US federal government recording, public domain); repository MIT",
            "J. F. Kennedy's inaugural address (1961), broadcast recording",
        )
    )
    for n in ("0001", "0003", "0005", "0007"):
        items.append(
            Item(
                "ljspeech",
                f"LJ001-{n}",
                "speech",
                True,
                COQUI[0],
                COQUI[1],
                (f"tests/data/ljspeech/wavs/LJ001-{n}.wav",),
                LJSPEECH,
                "audiobook reading (LJ Speech), one female reader for all four",
            )
        )
    for name, note in (("english.wav", "English"), ("french.aiff", "French"), ("chinese.flac", "Mandarin")):
        items.append(
            Item(
                "speech_recognition",
                name.split(".")[0],
                "speech",
                True,
                SPEECH_RECOGNITION[0],
                SPEECH_RECOGNITION[1],
                (f"examples/{name}",),
                "not stated for the audio; repository BSD-3-Clause",
                f"a sentence read in {note} (the library's example)",
            )
        )
    return items


def other_items() -> list[Item]:
    repo, commit = LIBROSA_DATA
    by_cc = "CC BY 3.0 (Freesound, per librosa/data's .txt)"
    items = [
        Item(
            "librosa_data",
            "solo-trumpet-06",
            "lead",
            False,
            repo,
            commit,
            ("audio/sorohanro_-_solo-trumpet-06.hq.ogg",),
            by_cc,
            "jazz trumpet phrase, solo (Mihai Sorohan)",
        ),
        Item(
            "librosa_data",
            "robin",
            "fx",
            False,
            repo,
            commit,
            ("audio/456440__inspectorj__bird-whistling-robin-single-13.hq.ogg",),
            by_cc,
            "a robin's call (field recording): an animal, not a voice a mix calls vocals",
        ),
        Item(
            "librosa_data",
            "pibble",
            "fx",
            False,
            repo,
            commit,
            ("audio/pibble.hq.ogg",),
            "CC BY-NC 3.0 (per librosa/data's .txt)",
            "a dog howling in her sleep: an animal, not a mix's voice",
        ),
        Item(
            "librosa_data",
            "humpback",
            "fx",
            False,
            repo,
            commit,
            ("audio/glacier-bay-humpback.hq.ogg",),
            "public domain (US National Park Service, per librosa/data's .txt)",
            "humpback whale song (hydrophone): an animal, not a mix's voice",
        ),
    ]
    for who in ("Igoshina", "Varsi"):
        items.append(
            Item(
                "synctoolbox",
                f"chopin_op10-3_{who.lower()}",
                "keys",
                False,
                SYNCTOOLBOX[0],
                SYNCTOOLBOX[1],
                (f"data_music/Chopin_Op010-03-Measures1-8_{who}.wav",),
                "not stated for the recordings; repository MIT",
                f"solo piano, Chopin Op. 10 No. 3, bars 1-8 ({who})",
            )
        )
    return items


def all_items() -> list[Item]:
    return mirdata_items() + speech_items() + other_items()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirrors", type=Path, required=True, help="folder holding <owner>+<name>/repo mirrors")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "real_stems")
    args = parser.parse_args()
    records, skipped = [], []
    for item in all_items():
        samples, sr, subtype = read_item(args.mirrors, item)
        reason = skip_reason(samples, sr)
        if reason is not None:
            skipped.append(f"{item.file}: {reason}")
            continue
        out = args.out / item.file
        out.parent.mkdir(parents=True, exist_ok=True)
        sf.write(out, samples, sr, subtype=subtype, format="WAV")
        records.append(record(item))
    (args.out / "ground_truth.json").write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n")
    voice = sum(r["voice"] for r in records)
    print(f"wrote {len(records)} stems ({voice} voice, {len(records) - voice} instrument) to {args.out}")
    for line in skipped:
        print(f"skipped {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
