#!/usr/bin/env bash
# Regenerate the Korean speech fixtures used by the recognition tests.
#
# Each word is synthesised with espeak-ng's Korean voice (22.05 kHz), padded with 0.3 s of
# silence on both sides (so the recogniser gets speech start and end as it would after voice
# activity detection) and written twice as 16-bit mono PCM WAV:
#   NAME-16k.wav  16 kHz, the Korean test model's rate
#   NAME-8k.wav   8 kHz, the telephony rate, for tests that stream mu-law over a call
#
# Needs espeak-ng and sox (`apt-get install -y espeak-ng sox`). The output depends on the
# espeak-ng version (made with 1.51), so the committed WAVs, not this script, are what the
# tests check; rerun it only to add words.
set -euo pipefail
cd "$(dirname "$0")"

# File name, then the Korean word it speaks.
words=(
    "ne 네"
    "aniyo 아니요"
    "joayo 좋아요"
    "yeoboseyo 여보세요"
)

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

for entry in "${words[@]}"; do
    read -r name word <<<"$entry"
    espeak-ng -v ko -w "$scratch/$name.wav" "$word"
    sox "$scratch/$name.wav" -r 16000 -c 1 -b 16 -e signed-integer "$name-16k.wav" pad 0.3 0.3
    sox "$name-16k.wav" -r 8000 -c 1 -b 16 -e signed-integer "$name-8k.wav"
done
