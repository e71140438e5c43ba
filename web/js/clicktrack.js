// A metronome click on given beat times, in step with a player's clock. Clicks are scheduled on the
// Web Audio clock a little ahead (a timer alone jitters by tens of milliseconds); downbeats are
// higher and louder.

const LOOKAHEAD_S = 0.12;
const TICK_MS = 25;

export class ClickTrack {
  constructor(clock) {
    this.clock = clock; // () => {time, playing, rate}: where the player is now
    this.beats = [];
    this.downbeats = new Set();
    this.enabled = true;
    this.context = null;
    this.timer = null;
    this.next = 0; // index of the next beat to schedule
  }

  setBeats(beats, downbeats) {
    this.beats = beats;
    this.downbeats = new Set(downbeats.map((t) => t.toFixed(3)));
    this.restart();
  }

  start() {
    this.context ??= new AudioContext();
    this.context.resume();
    this.restart();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.schedule(), TICK_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  // After a seek or a new start: the first beat not yet passed.
  restart() {
    const { time } = this.clock();
    this.next = this.beats.findIndex((b) => b >= time - 0.005);
    if (this.next < 0) this.next = this.beats.length;
  }

  schedule() {
    const { time, playing, rate } = this.clock();
    if (!playing || !this.context) return;
    if (this.next > 0 && this.beats[this.next - 1] > time + 0.05) this.restart(); // sought backwards
    const now = this.context.currentTime;
    while (this.next < this.beats.length && this.beats[this.next] < time + LOOKAHEAD_S * rate) {
      const beat = this.beats[this.next++];
      if (!this.enabled || beat < time - 0.02) continue; // sought forwards past it, or muted
      this.click(now + Math.max(0, (beat - time) / rate), this.downbeats.has(beat.toFixed(3)));
    }
  }

  click(at, accent) {
    const osc = this.context.createOscillator();
    const gain = this.context.createGain();
    osc.frequency.value = accent ? 1760 : 1175;
    gain.gain.setValueAtTime(accent ? 0.5 : 0.3, at);
    gain.gain.exponentialRampToValueAtTime(0.001, at + 0.04);
    osc.connect(gain).connect(this.context.destination);
    osc.start(at);
    osc.stop(at + 0.05);
  }
}
