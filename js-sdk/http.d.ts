/** Options of `httpPublish`; any other key throws a TypeError. */
export interface HttpPublishOptions {
  /** The published message's command (default `chat`). */
  command?: string;
  /** Headers of the published message, as pairs, a Map or an object. */
  headers?: Array<[string, string]> | Map<string, string> | Record<string, string>;
  /** The server's publish token, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Where `init()` loads the codec from, if it is not loaded yet (by default: fetched beside the glue; in Node, read from disk). */
  wasm?: unknown;
}

/**
 * Publishes `body` to `channels` through the server's `POST /publish`; resolves with the
 * delivery count. Rejects with an `LhttpError` whose `code` is `Channel` for a bad name or
 * the server's error name (`Unauthorized`, `NoChannel`, ...).
 */
export declare function httpPublish(
  url: string | URL,
  channels: string | string[],
  body?: string | Uint8Array,
  options?: HttpPublishOptions,
): Promise<number>;
