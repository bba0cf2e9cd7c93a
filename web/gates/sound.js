/**
 * The alarm page's sound: off until staff press Sound (browsers start sound only after a click),
 * then two short high tones for each alarm, made here — nothing to download.
 */

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

  /** Two short high tones, made here: nothing to download. */
  return function beep() {
    if (!soundOn || !audio) return;
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
  };
}
