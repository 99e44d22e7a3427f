// AudioWorklet processor that turns the microphone into 20 ms frames of 16 kHz 16-bit PCM.
//
// The context runs at the device rate (usually 48 kHz). Each output sample averages the
// input samples of its interval (a box low-pass) before decimating, which keeps most
// aliasing out of the telephone band without a real filter.
"use strict";

const TARGET_RATE = 16000;
const FRAME_SAMPLES = 320; // 20 ms at 16 kHz

class MicDownsampler extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE; // input samples per output sample
    this.sum = 0;
    this.count = 0;
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
    this.position = this.step; // input samples left before the next output sample
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) {
      return true;
    }
    for (let i = 0; i < channel.length; i++) {
      this.sum += channel[i];
      this.count += 1;
      this.position -= 1;
      if (this.position <= 0) {
        this.pushSample(this.sum / this.count);
        this.sum = 0;
        this.count = 0;
        this.position += this.step;
      }
    }
    return true;
  }

  pushSample(value) {
    const clamped = Math.max(-1, Math.min(1, value));
    this.frame[this.filled++] = Math.round(clamped * 32767);
    if (this.filled === FRAME_SAMPLES) {
      this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
      this.frame = new Int16Array(FRAME_SAMPLES);
      this.filled = 0;
    }
  }
}

registerProcessor("mic-downsampler", MicDownsampler);
