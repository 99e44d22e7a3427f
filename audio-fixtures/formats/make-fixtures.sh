#!/usr/bin/env bash
# Write the compressed-format fixtures that tests of src/audio/decode.rs decode.
#
# Each file contains 1 s of a 440 Hz sine at half full scale, so a test can check the decoded
# length and the tone's frequency. Dither is off (-D) so that reruns give the same samples.
# Made with sox 14.4.2 from Debian 12 (`apt-get install sox libsox-fmt-all`). Run it from
# anywhere: it writes next to itself.
set -euo pipefail
cd "$(dirname "$0")"

TONE=(synth 1.0 sine 440 vol 0.5)

# FLAC at 16 kHz, 16-bit mono.
sox -D -n -r 16000 -b 16 -c 1 tone-440hz-16k-mono.flac "${TONE[@]}"

# Ogg Vorbis at 22.05 kHz, stereo, quality 0 (soxi reports 44 kbit/s) to keep the file small.
sox -D -n -r 22050 -c 2 -C 0 tone-440hz-22k-stereo.ogg "${TONE[@]}"

# MP3 at 44.1 kHz, mono, 32 kbit/s constant bit rate.
sox -D -n -r 44100 -c 1 -C 32 tone-440hz-44k-mono.mp3 "${TONE[@]}"

ls -l tone-440hz-*
