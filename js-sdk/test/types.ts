// Compile-only check of index.d.ts (run by test/types.test.js with tsc --noEmit):
// the original callback API, the promise API and the codec, as a user writes them.
import { init, Lhttp, MultipartBuilder, LhttpError, Session, parse, encode, type Context, type History, type Message, type Position, type Presence, type PresenceEvent, type PresenceMember } from '../index.js';

export async function usage(): Promise<void> {
  await init();
  const client = new Lhttp('ws://127.0.0.1:8081/', { initialBackoffMs: 100, requestTimeoutMs: 5000, maxAttempts: null, timeout: 5000 });
  client.on_open = (context: Context) => context.subscribe('room', 'chat', null, '');
  client.on_message = (context) => {
    const from: string | undefined = context.getHeader('from');
    const body: string = context.getBody();
    context.publish(['room'], 'chat', { from: from ?? 'me' }, body);
  };
  await client.subscribe('a', ['b', 'c']);
  const { deliveries }: { deliveries: number } = await client.publish('room', 'hi', { headers: [['k', 'v']] });
  await client.request(new MultipartBuilder('upload').part({ name: 'a' }, new Uint8Array([1])));
  for await (const msg of client) {
    const m: Message = msg;
    const parts = m.parts();
    const offsets: number[] = parts.map((p) => p.start + p.len + p.bodyStart);
    console.log(m.command, m.headers[0]?.[1], m.text, deliveries, offsets);
  }
  client.on_error = ({ error }) => console.log(error?.code, error?.status, error?.channel);
  client.on_recovered = ({ channel }) => console.log(`recovered ${channel?.toUpperCase()}`);
  client.on_unrecovered = (context) => console.log(context.channel, context.error);
  const since: Position | undefined = client.position('room');
  const h: History = await client.history('room', { limit: 20, since, reverse: true });
  const latest: Message | undefined = h.publications[0];
  console.log(h.channel, h.position.epoch, h.position.offset + 1, latest?.header('offset'));
  const who: Presence = await client.presence('room');
  const names: string[] = who.members.map((m: PresenceMember) => m.info.name ?? m.uid);
  const { connections, users } = await client.presenceStats('room');
  console.log(who.capped, who.stats.connections + connections, users, names);
  client.on_message = (context) => {
    const event: PresenceEvent | null = context.presenceEvent();
    if (event?.kind === 'leave') console.log(event.reason, event.client, event.channel);
    else if (event) console.log(`${event.uid} joined ${event.channel}`, event.info);
  };
  for await (const msg of client) console.log(msg.presenceEvent()?.kind);
  const authed = new Lhttp('ws://127.0.0.1:8081/', {
    token: 'a.jwt.token',
    getToken: async () => (await fetch('/token')).text(),
    getSubscriptionToken: async (channel: string) => (channel.startsWith('priv:') ? 'a.sub.token' : null),
  });
  authed.close();
  const session = new Session({ requestTimeout: 1000, pingInterval: null, token: 'T', tokenCallback: true, subscriptionTokenCallback: true });
  session.start(performance.now());
  const t = session.pollTransmit();
  if (t?.type === 'frame') console.log(t.text ?? t.data.length);
  const e = session.pollEvent();
  if (e?.type === 'acked') console.log(e.id, e.deliveries, e.reply.command);
  if (e?.type === 'failed') console.log(e.error.code, e.error.detail);
  const deadline: number | undefined = session.nextDeadline();
  console.log(deadline, session.state, session.subscriptions, session.clientId);
  try {
    parse('LHTTP/1.0 chat\r\n\r\n');
    const bytes: Uint8Array = encode('chat', [['publish', 'room']], 'hi');
    console.log(bytes);
  } catch (e) {
    if (e instanceof LhttpError) console.log(e.code);
  }
}
