/**
 * The alarm page's sound: off until staff press Sound (browsers start sound only after a click),
 * then two short high tones for an alarm, made here — nothing to download. In a storm of alarms
 * it sounds at most once every BEEP_GAP_MS: an alarm within that of the last sound is heard at its
 * end (once for all of them), not as one beep each.
 */

/** The shortest time between two sounds (the two tones take under half a second). */
export const BEEP_GAP_MS = 1500;

/**
 * Wires the Sound button (`aria-pressed`, 'Sound on'/'Sound off') and returns `beep()`, which
 * sounds only while it is on and counts each time it played in the button's `data-played`.
 */
export function alarmSound(button) {
  let audio = null;
  let soundOn = false;

  button.addEventListener('click', () => {
    soundOn = !soundOn;
    if (soundOn) {
      // Browsers start sound only after a click: this is it.
      audio ??= new AudioContext();
      void audio.resume();
    }
    button.setAttribute('aria-pressed', String(soundOn));
    button.textContent = soundOn ? 'Sound on' : 'Sound off';
  });

  /** When it last sounded (performance.now()), and the sound waiting for the gap to pass. */
  let lastAt = Number.NEGATIVE_INFINITY;
  let pending = null;

  /** Two short high tones for an alarm, at once or at the end of the gap since the last. */
  return function beep() {
    if (!soundOn || !audio || pending) return;
    const waitMs = lastAt + BEEP_GAP_MS - performance.now();
    if (waitMs > 0) {
      pending = setTimeout(() => {
        pending = null;
        sound();
      }, waitMs);
      return;
    }
    sound();
  };

  function sound() {
    if (!soundOn || !audio) return;
    lastAt = performance.now();
    const start = audio.currentTime;
    for (const at of [0, 0.25]) {
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.type = 'square';
      tone.frequency.value = 1320;
      volume.gain.setValueAtTime(0.15, start + at);
      volume.gain.exponentialRampToValueAtTime(0.001, start + at + 0.18);
      tone.connect(volume).connect(audio.destination);
      tone.start(start + at);
      tone.stop(start + at + 0.2);
    }
    button.dataset.played = String(Number(button.dataset.played) + 1);
  }
}
