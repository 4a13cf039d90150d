// Types of the @lhttp/node entry point (lib/index.js). The codec classes and the
// native option types come from the generated ../index.d.ts. The reference makes tsc load
// @types/node (a peer dependency) for Buffer and node:events even where the project's
// `types` option does not list it (TypeScript 6 lists nothing by default).
/// <reference types="node" />
import { EventEmitter } from 'node:events'
import type {
  ConnectOptions,
  Member,
  Message,
  NativeClient,
  ParseOptions,
  Part,
  PartsOptions,
  Position,
  Presence,
  PresenceEvent,
  PresenceStats,
  Upstream,
} from '../index'

export { ConnectOptions, Member, Message, ParseOptions, Part, PartsOptions, Position, Presence, PresenceEvent, PresenceStats, Upstream }

/** Headers in order: `[name, value]` pairs, a Map, or a plain object (insertion order). */
export type HeadersInit = Array<[string, string]> | Map<string, string> | Record<string, string>

/** A body: a string (sent as UTF-8) or bytes. */
export type BodyInit = string | Uint8Array

/** A message to encode or send. */
export interface MessageInit {
  /** The command, a token of 1 to 64 characters, e.g. `chat`. */
  command: string
  headers?: HeadersInit
  body?: BodyInit
}

/** A multipart message to encode: its own headers, then its parts (at least one). */
export interface MultipartInit {
  command: string
  headers?: HeadersInit
  parts: Array<{ headers?: HeadersInit; body?: BodyInit }>
}

/**
 * An error from the codec or the client. `code` is the stable name shared by every
 * lhttp binding: a core name (`Version`, `Command`, `NewLine`, `HeaderName`,
 * `HeaderValue`, `TooManyHeaders`, `Upstream`, `PartOffset`, `Part`, `TooManyParts`,
 * `BufferTooSmall`, `Channel`), a client one (`Connect`, `Closed`, `Timeout`, `Io`),
 * the server's error code (`Forbidden`, `TooManyChannels`, `NoHistory`, `NoPresence`, ...), or, on
 * `'error'` events, `RestoreRefused` (a channel not subscribed again after a reconnect),
 * `Unrecovered` (a channel with history that could not get what it missed after a
 * reconnect; it is subscribed again) and `Lagged` (messages dropped unread). Unknown options are a plain `TypeError`.
 */
export interface LhttpError extends Error {
  code: string
}

/** Parses one LHTTP message; throws an `LhttpError`. */
export declare function parse(input: string | Uint8Array, options?: ParseOptions): Message

/**
 * Writes channel names as one `subscribe` / `publish` / `unsubscribe` header value (joined
 * by one space); throws code `Channel` for an empty list or a name that is empty or holds
 * whitespace or a control character.
 */
export declare function channelList(channels: string[]): string

/** Every core error name a codec call can throw as `code` (`Version` ... `Channel`), in core's order. */
export declare function errorNames(): string[]

/** Every server error name an `error` reply may carry as `code`; treat any other as a generic failure. */
export declare function serverErrorNames(): string[]

/** Encodes a message as LHTTP bytes; throws an `LhttpError`. */
export declare function encode(msg: MessageInit): Buffer

/** Encodes a multipart message (adds the `multipart` header); throws an `LhttpError`. */
export declare function encodeMultipart(msg: MultipartInit): Buffer

/** Encodes a message into `out`, returning the bytes written; throws code `BufferTooSmall` when it does not fit. */
export declare function encodeInto(msg: MessageInit, out: Uint8Array): number

/** Encodes a multipart message into `out`, returning the bytes written. */
export declare function encodeMultipartInto(msg: MultipartInit, out: Uint8Array): number

/** Options of `Client.publish`; any other key is a `TypeError`. */
export interface PublishOptions {
  /** The published message's command. Default `chat`. */
  command?: string
  headers?: HeadersInit
}

/** Options of `Client.history`; any other key is a `TypeError`. */
export interface HistoryOptions {
  /** At most this many publications (an integer, 0 for the position alone). Default: the server's cap (`recover_max`). */
  limit?: number
  /** Only the publications after this position: `{ epoch, offset }` (a number or a bigint) or its `epoch:offset` string. */
  since?: Position | { epoch: string; offset: bigint } | string
  /** Newest first. Default false. */
  reverse?: boolean
}

/** What `Client.history` resolves with. */
export interface History {
  /** The channel read. */
  channel: string
  /** The channel's current position (its epoch tells whether a `since` of another epoch was answered with nothing). */
  position: Position
  /** Oldest first unless read `reverse`, each as delivered live (with its `channel`, `offset` and `epoch` headers). */
  publications: Message[]
}

/** Options of `httpPublish`; any other key is a `TypeError`. */
export interface HttpPublishOptions {
  /** The published message's command. Default `chat`. */
  command?: string
  headers?: HeadersInit
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
}

/**
 * A live connection. Events: `'message'` (a `Message`), `'error'` (an `LhttpError`
 * for an invalid incoming message or a failed connection; only emitted when listened
 * for), `'close'`, and after a reconnect, for each channel with history restored from its
 * last position, `'recovered'` (the channel: it got every message it missed) or
 * `'unrecovered'` (the channel: it got none of them; `'error'` says `Unrecovered` too).
 * Also an async iterator of messages that ends when the connection closes.
 * Messages wait until a `'message'` listener is attached or iteration starts.
 */
export declare class Client extends EventEmitter implements AsyncIterable<Message> {
  constructor(nativeClient: NativeClient)
  /** The id the server gave this connection, or null. */
  readonly clientId: string | null
  /** Whether the connection has ended. */
  readonly closed: boolean
  send(msg: MessageInit): Promise<void>
  sendRaw(bytes: string | Uint8Array): Promise<void>
  subscribe(...channels: Array<string | string[]>): Promise<void>
  unsubscribe(...channels: Array<string | string[]>): Promise<void>
  /** Resolves with the number of deliveries the server reported. */
  publish(channels: string | string[], body?: BodyInit, options?: PublishOptions): Promise<number>
  /** The last position seen of a subscribed channel with history, or null (no history, not subscribed). */
  position(channel: string): Position | null
  /** Reads a channel's recent publications; rejects with code `NoHistory` for a channel without history. */
  history(channel: string, options?: HistoryOptions): Promise<History>
  /** Who is in a channel with presence; rejects with code `NoPresence` for a channel whose namespace has none. */
  presence(channel: string): Promise<Presence>
  /** A channel's counts `{ connections, users }`; rejects like `presence`. */
  presenceStats(channel: string): Promise<PresenceStats>
  close(): Promise<void>
  [Symbol.asyncIterator](): AsyncIterator<Message>
  on(event: 'message', listener: (msg: Message) => void): this
  on(event: 'error', listener: (err: LhttpError) => void): this
  on(event: 'close', listener: () => void): this
  on(event: 'recovered' | 'unrecovered', listener: (channel: string) => void): this
  on(event: string | symbol, listener: (...args: any[]) => void): this
}

/**
 * Connects and resolves once the server has greeted the connection; rejects with code
 * `Connect` (a refused handshake names its HTTP status and the server's reason, e.g.
 * `OriginNotAllowed`) or `Timeout`, and with a `TypeError` for an unknown option.
 * Durations in `options` are in milliseconds.
 */
/**
 * `connect()`'s options: the native ones (durations in milliseconds; `token`, a connection
 * token sent on every connection) and the token callbacks. `getToken()` gives a connection
 * token: called on connect, on each reconnect and before the token expires (then sent in
 * `refresh`). `getSubscriptionToken(channel)` gives a channel's subscription token before it
 * is subscribed (again on reconnect and before expiry), `null` when it needs none. A callback
 * that throws or rejects fails that attempt or subscribe with code `Io`.
 */
export interface ClientOptions extends ConnectOptions {
  getToken?: (() => Promise<string> | string) | null
  getSubscriptionToken?: ((channel: string) => Promise<string | null | undefined> | string | null | undefined) | null
}

export declare function connect(url: string, options?: ClientOptions): Promise<Client>

/**
 * Publishes through the server's HTTP endpoint (`POST {url}/publish`, `http://` or
 * `https://`) without a WebSocket; resolves with the number of deliveries. Rejects
 * with the server's error name (`Unauthorized`, `NoChannel`, ...), `Connect` or `Timeout`.
 */
export declare function httpPublish(
  url: string,
  channels: string | string[],
  body?: BodyInit,
  options?: HttpPublishOptions,
): Promise<number>
