// LhttpError: the one error type of the client. `code` is a stable name shared by
// every lhttp binding: a core codec name (`HeaderValue`, `Channel`...), a server
// error code from an `error` reply (`Forbidden`, `TooManyChannels`...), or a
// client one (`Closed`, `Timeout`, `Connect`, `Io`, `RestoreRefused`, `Lagged`, `Socket`, `Wasm`),
// the session's names (lhttp-session) wherever it decides.

/** An error with a stable `code`. */
export class LhttpError extends Error {
  /**
   * @param {string} code the stable error name
   * @param {string} [detail] human-readable text
   * @param {{ command?: string, id?: string, status?: number, channel?: string, cause?: unknown }} [extra]
   */
  constructor(code, detail, extra = {}) {
    super(detail ? `${code}: ${detail}` : code, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'LhttpError';
    this.code = code;
    this.detail = detail ?? '';
    this.command = extra.command;
    this.id = extra.id;
    /** For `Connect`: the HTTP status of a refused handshake, when known (a browser never knows it). */
    if (extra.status !== undefined) this.status = extra.status;
    /** For `RestoreRefused`: the channel the server would not subscribe again after a reconnect. */
    if (extra.channel !== undefined) this.channel = extra.channel;
  }

  /** The error a server's `LHTTP/1.0 error` reply describes. */
  static fromReply(msg) {
    return new LhttpError(msg.header('code') ?? 'Internal', msg.header('detail') ?? '', {
      command: msg.header('command'),
      id: msg.header('id'),
    });
  }
}

/** A session error (an `Error` with `code`, `detail`...) as an LhttpError. */
export function fromSession(e, extra) {
  return new LhttpError(e.code, e.detail, { command: e.command, id: e.id, status: e.status, ...extra, cause: e });
}
