/**
 * A TCP proxy that can freeze: while frozen it forwards nothing in either
 * direction, as a dead network path would, so keepalive timeouts fire.
 *
 * @module
 */

/** Forwards `127.0.0.1:<port>` to a target port; `freeze()` stalls every connection. */
export class FreezingProxy implements AsyncDisposable {
  /** The proxy's own port. */
  readonly port: number;
  #listener: Deno.TcpListener;
  #conns = new Set<Deno.TcpConn>();
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => {};
  #accepting: Promise<void>;

  constructor(targetPort: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#accepting = this.#accept(targetPort);
  }

  /** Stops forwarding (bytes already read wait until {@linkcode thaw}). */
  freeze(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  /** Resumes forwarding. */
  thaw(): void {
    this.#open();
  }

  async #accept(targetPort: number): Promise<void> {
    for await (const inbound of this.#listener) {
      const outbound = await Deno.connect({ hostname: "127.0.0.1", port: targetPort }).catch(
        () => null,
      );
      if (outbound === null) {
        inbound.close();
        continue;
      }
      this.#conns.add(inbound).add(outbound);
      // HTTP/2 never half-closes: when either side ends, both connections close.
      Promise.race([this.#pump(inbound, outbound), this.#pump(outbound, inbound)]).finally(() => {
        for (const c of [inbound, outbound]) {
          this.#conns.delete(c);
          try {
            c.close();
          } catch { /* closed */ }
        }
      });
    }
  }

  async #pump(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        await this.#gate;
        let written = 0;
        while (written < n) written += await to.write(buffer.subarray(written, n));
      }
      await this.#gate; // a frozen link does not report the close either
    } catch { /* either side went away */ }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.thaw();
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await this.#accepting.catch(() => {});
  }
}
