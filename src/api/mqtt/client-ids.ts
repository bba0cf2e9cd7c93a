/** Client ids remembered at most; far more than the broker's connections. */
export const DEFAULT_MAX_CLIENT_ID_BINDINGS = 10_000;

/**
 * Which credential first connected with each MQTT client id, for the broker's
 * lifetime. A client's requests and answers live under its client id, so a
 * second credential presenting that id is refused: kiosk B must not connect as
 * kiosk A to take its answers or the QoS 1 messages queued for it.
 *
 * Bounded: when full, the binding used longest ago by a client not connected
 * now is forgotten; when every bound client is connected, a new id is refused.
 */
export class ClientIdBindings<Holder> {
  private readonly holders = new Map<string, Holder>();

  constructor(private readonly max = DEFAULT_MAX_CLIENT_ID_BINDINGS) {}

  get size(): number {
    return this.holders.size;
  }

  /** Who holds `clientId` now, if anyone. */
  holderOf(clientId: string): Holder | undefined {
    return this.holders.get(clientId);
  }

  /**
   * Binds `clientId` to `holder` unless another holder has it. `connected`
   * tells whether a client id is in use now (such a binding is never forgotten).
   */
  claim(clientId: string, holder: Holder, connected: (clientId: string) => boolean): boolean {
    const current = this.holders.get(clientId);
    if (current !== undefined && current !== holder) return false;
    if (current === undefined && this.holders.size >= this.max && !this.forgetOneIdle(connected)) {
      return false;
    }
    // Re-inserted: the Map's order is the order of last use.
    this.holders.delete(clientId);
    this.holders.set(clientId, holder);
    return true;
  }

  private forgetOneIdle(connected: (clientId: string) => boolean): boolean {
    for (const clientId of this.holders.keys()) {
      if (!connected(clientId)) {
        this.holders.delete(clientId);
        return true;
      }
    }
    return false;
  }
}
