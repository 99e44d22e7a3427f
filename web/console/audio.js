// Browser audio of a call: the microphone as 16 kHz PCM frames, and playback of the
// caller's 16 kHz PCM frames. Both directions are little-endian 16-bit mono.
"use strict";

const PLAYBACK_RATE = 16000;
// Playback starts this far behind the first frame to absorb network jitter, in seconds.
const JITTER_BUFFER_SECS = 0.08;

// Counters read by the end-to-end test and useful when debugging in the console.
window.consoleAudio = { sentBytes: 0, receivedBytes: 0, micStarted: false };

class CallAudio {
  constructor(onFrame) {
    this.onFrame = onFrame; // called with each ArrayBuffer of mic PCM
    this.context = null;
    this.stream = null;
    this.worklet = null;
    this.nextPlayTime = 0;
  }

  // Opens the microphone and the audio context; must run inside a user gesture so that
  // the browser allows playback.
  async start() {
    this.context = new AudioContext();
    await this.context.resume();
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
    await this.context.audioWorklet.addModule("/console/static/mic-worklet.js");
    const source = this.context.createMediaStreamSource(this.stream);
    this.worklet = new AudioWorkletNode(this.context, "mic-downsampler");
    this.worklet.port.onmessage = (event) => this.onFrame(event.data);
    source.connect(this.worklet);
    window.consoleAudio.micStarted = true;
  }

  // Plays one frame of 16 kHz PCM from the server.
  play(arrayBuffer) {
    window.consoleAudio.receivedBytes += arrayBuffer.byteLength;
    if (!this.context || arrayBuffer.byteLength < 2) {
      return;
    }
    const pcm = new Int16Array(arrayBuffer, 0, arrayBuffer.byteLength >> 1);
    const buffer = this.context.createBuffer(1, pcm.length, PLAYBACK_RATE);
    const samples = buffer.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) {
      samples[i] = pcm[i] / 32768;
    }
    const node = this.context.createBufferSource();
    node.buffer = buffer;
    node.connect(this.context.destination);
    const now = this.context.currentTime;
    if (this.nextPlayTime < now) {
      this.nextPlayTime = now + JITTER_BUFFER_SECS;
    }
    node.start(this.nextPlayTime);
    this.nextPlayTime += buffer.duration;
  }

  // Releases the microphone and the audio context.
  stop() {
    if (this.stream) {
      this.stream.getTracks().forEach((track) => track.stop());
    }
    if (this.context) {
      this.context.close();
    }
    this.context = null;
    this.stream = null;
    this.worklet = null;
    this.nextPlayTime = 0;
  }
}
