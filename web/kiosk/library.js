/**
 * The library system's link as Carrel sees it, followed for items whose answer was lost: Carrel
 * asks the library system whether such an item went through before trying it again, so the
 * patron may try again while it answers; while it does not, she is told so. `turns` counts its
 * going away and coming back: what Carrel said it could not tell holds until the next turn.
 */
import { Problem } from './api.js';

/**
 * `{ status, turns, watch() }`: the link's health (undefined until known) and its turns, followed
 * over the event WebSocket once `watch()` is called; `onTurn()` is told of each turn.
 */
export function libraryLink(api, onTurn) {
  const library = { status: undefined, turns: 0, watch: watchLibrarySystem };

  async function watchLibrarySystem() {
    let device;
    try {
      device = (await api.devices()).devices.find((d) => d.kind === 'ils')?.device;
    } catch (error) {
      // Not allowed to read it (the token's scope): Carrel answers each try instead.
      if (!(error instanceof Problem && (error.status === 401 || error.status === 403)))
        setTimeout(watchLibrarySystem, 5000);
      return;
    }
    // No library system link on this desk: Carrel answers each try.
    if (!device) return;
    api.socket(
      '/api/v1/events',
      { devices: device },
      (message) => {
        const health =
          message.event === 'snapshot'
            ? message.data?.devices?.find((d) => d.device === device)
            : message.event === 'device.state' && message.data?.device === device
              ? message.data
              : undefined;
        if (health) libraryIs(health.status);
      },
      // The gateway restarted or the network blinked: listen again (the snapshot says how it is).
      () => setTimeout(watchLibrarySystem, 2000),
    );
  }

  function libraryIs(status) {
    const wasAway = library.status === 'offline';
    library.status = status;
    if (wasAway === (status === 'offline')) return;
    library.turns++;
    onTurn();
  }

  return library;
}
