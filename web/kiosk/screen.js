/**
 * This kiosk page as a screen to Carrel: one screen shows a pad's session, and the page names
 * itself by an id kept in sessionStorage — the same after a reload, new in another tab. A
 * duplicated tab, which carries its original's copy, takes a new one when the original answers on
 * the browser's BroadcastChannel.
 */
import { newRequestId } from './api.js';

/** sessionStorage: this screen's id, the same across its reloads (another tab has its own). */
const SCREEN_KEY = 'carrel.kiosk.screen';
/** The BroadcastChannel on which a page loading asks this browser's live kiosk tabs whether one holds its screen id. */
const SCREENS_CHANNEL = 'carrel.kiosk.screens';
/** How long a page loading waits for a live tab holding its screen id to say so. */
const SCREEN_ASK_MS = 400;

/**
 * This page's screen: `id` names it to Carrel; `claimed` resolves once the id is settled (every
 * call naming the screen waits for it); `renew()` makes the page a screen of its own from now on,
 * named by a new id (kept for its reloads), and tells `onRenew(id)`.
 */
export function kioskScreen(storage, onRenew) {
  const screen = {
    id: storage.getItem(SCREEN_KEY) ?? newRequestId(),
    claimed: undefined,
    renew() {
      screen.id = newRequestId();
      storage.setItem(SCREEN_KEY, screen.id);
      onRenew(screen.id);
    },
  };
  storage.setItem(SCREEN_KEY, screen.id);
  screen.claimed = claimScreen(screen);
  return screen;
}

/**
 * The screen id kept in sessionStorage is this tab's own from before a reload (or a crash) — or its
 * original's, copied by a duplicated tab (Chrome's "Duplicate" copies sessionStorage). Carrel
 * cannot tell the two apart, and would give the copy the patron's session while her own screen is
 * reconnecting. The browser can: a page loading asks the kiosk tabs of this browser whether a live
 * one holds its id; if one answers, this page takes a new id, and is another screen to Carrel
 * (which keeps the session with its screen for the grace). No answer: this tab reloaded, or came
 * back, and is the same screen. Resolves once this page's id is settled; every call naming the
 * screen waits for it.
 */
function claimScreen(screen) {
  if (typeof BroadcastChannel !== 'function') return Promise.resolve();
  const channel = new BroadcastChannel(SCREENS_CHANNEL);
  const asking = newRequestId();
  let settled = false;
  // A page going away (a reload) no longer holds its id: the page that replaces it is the same screen.
  let leaving = false;
  addEventListener('pagehide', () => {
    leaving = true;
  });
  addEventListener('pageshow', () => {
    leaving = false;
  });
  return new Promise((resolve) => {
    const settle = () => {
      if (settled) return;
      settled = true;
      resolve();
    };
    channel.addEventListener('message', ({ data }) => {
      if (leaving || data?.screen !== screen.id) return;
      if (data.type === 'held' && data.to === asking && !settled) {
        screen.renew();
        return settle();
      }
      // Asked by a page loading with this page's id. Two pages loading with the same id at once
      // (two copies): the one that asked with the greater mark keeps it, the other takes a new one.
      if (data.type === 'who-holds' && (settled || asking > data.asking))
        channel.postMessage({ type: 'held', screen: screen.id, to: data.asking });
    });
    channel.postMessage({ type: 'who-holds', screen: screen.id, asking });
    setTimeout(settle, SCREEN_ASK_MS);
  });
}
