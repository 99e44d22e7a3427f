#!/usr/bin/env bash
# Regenerates the Spanish speech fixtures used by the voice activity and DTMF tests.
#
# Requires espeak-ng (with its Spanish voice) and sox. Each fixture is synthesised speech in
# the format of decoded call audio: 8 kHz, mono, signed 16-bit PCM, band-limited to the
# telephone band (300-3400 Hz) and normalised to a -6 dBFS peak. Tests apply G.711 themselves
# where they need it. The output depends on the tool versions: espeak-ng 1.51 and SoX 14.4.2
# made the committed files.
set -euo pipefail
cd "$(dirname "$0")"

make_fixture() {
    local name=$1 text=$2
    local raw
    raw=$(mktemp --suffix=.wav)
    espeak-ng -v es -w "$raw" "$text"
    sox "$raw" -b 16 -e signed-integer "$name.wav" \
        channels 1 rate 8000 sinc 300-3400 gain -n -6
    rm -f "$raw"
}

make_fixture si-soy-yo "Sí, soy yo."
make_fixture quiero-hablar-con-una-persona "Quiero hablar con una persona."
make_fixture no-puedo-pagar-ahora "No puedo pagar ahora."
