// LhttpError: the one error type of the client. `code` is a stable name shared by
// every lhttp binding: a core codec name (`HeaderValue`...), a server error code
// from an `error` reply (`Forbidden`, `TooManyChannels`...), or a client one
// (`Closed`, `Timeout`, `Socket`, `Protocol`).

/** An error with a stable `code`. */
export class LhttpError extends Error {
  /**
   * @param {string} code the stable error name
   * @param {string} [detail] human-readable text
   * @param {{ command?: string, id?: string, cause?: unknown }} [extra]
   */
  constructor(code, detail, extra = {}) {
    super(detail ? `${code}: ${detail}` : code, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = 'LhttpError';
    this.code = code;
    this.detail = detail ?? '';
    this.command = extra.command;
    this.id = extra.id;
  }

  /** The error a server's `LHTTP/1.0 error` reply describes. */
  static fromReply(msg) {
    return new LhttpError(msg.header('code') ?? 'Internal', msg.header('detail') ?? '', {
      command: msg.header('command'),
      id: msg.header('id'),
    });
  }
}
