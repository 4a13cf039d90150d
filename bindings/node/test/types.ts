// Compile-only check (tsc --noEmit, run by types.test.js) that the published typings
// (lib/index.d.ts over the generated index.d.ts) describe the API the tests use.
import {
  channelList,
  connect,
  encode,
  encodeInto,
  encodeMultipart,
  errorNames,
  httpPublish,
  parse,
  serverErrorNames,
  type Client,
  type History,
  type LhttpError,
  type Member,
  type Message,
  type Position,
  type Presence,
  type PresenceEvent,
  type PresenceStats,
} from '../lib'

export async function useEverything(url: string): Promise<void> {
  const msg: Message = parse('LHTTP/1.0 chat\r\n\r\nhi', { maxHeaders: 8 })
  const command: string = msg.command
  const first: string | null = msg.header('publish')
  const pairs: Array<[string, string]> = msg.headers
  const body: Buffer = msg.body
  const text: string | null = msg.text
  for (const part of msg.parts({ maxParts: 4 })) {
    const where: number = part.start + part.len + part.bodyStart
    void [where, part.header('name'), part.text]
  }
  const up = msg.upstream()
  if (up) void [up.method, up.url]
  const bytes: Buffer = encode({ command: 'chat', headers: { from: 'me' }, body: 'hi' })
  const n: number = encodeInto({ command: 'chat', headers: [['a', 'b']] }, new Uint8Array(64))
  const multi: Buffer = encodeMultipart({ command: 'upload', parts: [{ headers: new Map([['name', 'a']]), body: bytes }] })
  const list: string = channelList(['a', 'b'])
  const names: string[] = [...errorNames(), ...serverErrorNames()]
  void [command, first, pairs, body, text, n, multi, list, names]

  const client: Client = await connect(url, {
    reconnect: true,
    connectTimeoutMs: 5000,
    initialBackoffMs: 100,
    maxAttempts: 3,
    maxBuffered: 100,
    origin: 'https://example.com',
  })
  const id: string | null = client.clientId
  client.on('message', (m: Message) => void m.command)
  client.on('error', (err: LhttpError) => void err.code)
  client.on('recovered', (channel: string) => void channel.length)
  client.on('unrecovered', (channel) => void channel.toUpperCase())
  await client.subscribe('a', ['b', 'c'])
  const deliveries: number = await client.publish('a', 'body', { command: 'chat', headers: { x: '1' } })
  await client.send({ command: 'chat', body: new Uint8Array([1]) })
  for await (const m of client) void m.text
  const mark: Position | null = client.position('a')
  const page: History = await client.history('a', { limit: 2, since: mark ?? 'e:0', reverse: true })
  const offset: number = page.position.offset
  const firstText: string | null | undefined = page.publications[0]?.text
  await client.history('a', { since: { epoch: page.position.epoch, offset: 3n } })
  void [page.channel, offset, firstText]
  const here: Presence = await client.presence('a')
  const members: Member[] = here.members
  const name: string | undefined = members[0]?.info['name']
  const counted: number = here.stats.connections + here.stats.users
  const stats: PresenceStats = await client.presenceStats('a')
  const event: PresenceEvent | null = msg.presenceEvent()
  if (event) {
    const kind: 'join' | 'leave' = event.kind
    const who: string = `${event.channel} ${event.client} ${event.uid} ${event.reason}`
    const info: Record<string, string> = event.info
    void [kind, who, info]
  }
  void [members[0]?.client, members[0]?.uid, name, counted, here.capped, stats.users]
  await client.unsubscribe('a')
  await client.close()
  const viaHttp: number = await httpPublish('http://127.0.0.1:8081', ['a'], 'body', { command: 'chat', token: 't' })
  void [id, deliveries, viaHttp]
}
