//! The cluster-wide connection directory, as seen by processors, hooks and the
//! HTTP API: the calls of the Go frameworks users know (bind a uid, join a
//! group, send to a uid, count a group...), answered for every node.
//!
//! Calls about one client go to the node named in its client id; the others
//! go to every node, each answering for its own connections, and the answers
//! are combined. With the embedded broker, or while NATS is down, they answer
//! for this node alone.

use super::local::Info;
use super::ops::{merge, run_local, Answer, Request};
use super::State;
use crate::conn::Conn;
use crate::handle::Handle;
use bytes::Bytes;
use std::sync::Arc;

/// The directory of a server. Cheap to clone; every call is async because the
/// answer may come from other nodes (within the configured cluster timeout).
#[derive(Clone)]
pub struct Directory {
    handle: Handle,
    state: Arc<State>,
}

/// `handle.directory()` for a [`Handle`]: bring it into scope with
/// `use lhttp_server::cluster::HandleExt`.
pub trait HandleExt {
    /// The cluster-wide connection directory (this node alone with the embedded broker).
    fn directory(&self) -> Directory;
}

impl HandleExt for Handle {
    fn directory(&self) -> Directory {
        Directory::of(self)
    }
}

impl Directory {
    /// The directory of the server behind `handle`.
    pub fn of(handle: &Handle) -> Self {
        Directory {
            handle: handle.clone(),
            state: State::of(handle),
        }
    }

    async fn call(&self, req: Request, message: Bytes) -> Answer {
        let h = &self.handle;
        let link = self.state.link();
        if let Some(client) = req.client() {
            let Some((node, _)) = client.rsplit_once('-') else {
                return Answer::default();
            };
            if node == h.node_id() {
                return run_local(h, &self.state, &req, &message);
            }
            return match link {
                Some(l) => l.ask_node(node, &req, &message).await.unwrap_or_default(),
                None => Answer::default(),
            };
        }
        let mut answers = vec![run_local(h, &self.state, &req, &message)];
        if let Some(l) = link {
            answers.extend(l.ask_all(&req, &message).await);
        }
        merge(answers)
    }

    /// Every node's own answer to a call for every node, this node's first (not merged).
    async fn ask_each(&self, req: Request) -> Vec<Answer> {
        let h = &self.handle;
        let mut answers = vec![run_local(h, &self.state, &req, &Bytes::new())];
        if let Some(l) = self.state.link() {
            answers.extend(l.ask_all(&req, &Bytes::new()).await);
        }
        answers
    }

    pub(crate) async fn ask(&self, req: Request) -> Answer {
        self.call(req, Bytes::new()).await
    }

    /// Unsubscribes a client from a channel; `false` if it is not online or not subscribed.
    pub async fn unsubscribe(&self, client: &str, channel: &str) -> bool {
        let req = Request::Unsubscribe {
            client: client.into(),
            channel: channel.into(),
        };
        self.ask(req).await.ok
    }

    /// The channels a client subscribes to (sorted); `None` if it is not online.
    pub async fn channels_of_client(&self, client: &str) -> Option<Vec<String>> {
        let a = self.ask(Request::ChannelsOfClient { client: client.into() }).await;
        a.ok.then(|| {
            let mut items = a.items;
            items.sort();
            items
        })
    }

    /// Every channel with a subscriber on any node and its subscriber count
    /// (summed over the nodes), sorted by name: one call to each node.
    pub async fn channels(&self) -> std::collections::BTreeMap<String, u64> {
        let mut out = std::collections::BTreeMap::new();
        for a in self.ask_each(Request::Channels).await {
            for (channel, n) in a.info.unwrap_or_default() {
                *out.entry(channel).or_insert(0) += n.parse::<u64>().unwrap_or(0);
            }
        }
        out
    }

    /// Each node's id and figures (`connections`, `channels`, `subscriptions`,
    /// `messages_in`, `messages_out`, `deliveries`, `drops`, `slow_consumers`, `uptime_secs`, `uids`, and
    /// `errors.<Name>` and `drops.<namespace>`), this node's first.
    pub async fn node_stats(&self) -> Vec<(String, Info)> {
        self.ask_each(Request::NodeStats)
            .await
            .into_iter()
            .map(|a| (a.node, a.info.unwrap_or_default()))
            .collect()
    }

    /// Binds `uid` to a client (replacing its previous uid); `false` if the client is not online.
    pub async fn bind_uid(&self, client: &str, uid: &str) -> bool {
        let (client, uid) = (client.into(), uid.into());
        self.ask(Request::BindUid { client, uid }).await.ok
    }

    /// Removes a client's uid; `false` if it had none or is not online.
    pub async fn unbind_uid(&self, client: &str) -> bool {
        self.ask(Request::UnbindUid { client: client.into() }).await.ok
    }

    /// Adds a client to `group`; `false` if the client is not online.
    pub async fn join_group(&self, client: &str, group: &str) -> bool {
        let (client, group) = (client.into(), group.into());
        self.ask(Request::JoinGroup { client, group }).await.ok
    }

    /// Removes a client from `group`; `false` if it was not in it.
    pub async fn leave_group(&self, client: &str, group: &str) -> bool {
        let (client, group) = (client.into(), group.into());
        self.ask(Request::LeaveGroup { client, group }).await.ok
    }

    /// Replaces a client's info map; `false` if the client is not online.
    pub async fn set_info(&self, client: &str, info: Info) -> bool {
        self.ask(Request::SetInfo {
            client: client.into(),
            info,
        })
        .await
        .ok
    }

    /// Merges `info` into a client's info map (given keys replaced, others kept).
    pub async fn update_info(&self, client: &str, info: Info) -> bool {
        self.ask(Request::UpdateInfo {
            client: client.into(),
            info,
        })
        .await
        .ok
    }

    /// A client's info map (empty if never set); `None` if the client is not online.
    pub async fn get_info(&self, client: &str) -> Option<Info> {
        self.ask(Request::GetInfo { client: client.into() }).await.info
    }

    /// Queues an encoded LHTTP message to a client; `false` if it is not online.
    pub async fn send_to_client(&self, client: &str, message: Bytes) -> bool {
        self.call(Request::SendToClient { client: client.into() }, message)
            .await
            .ok
    }

    /// Closes a client normally (close code 1000); `false` if it is not online.
    pub async fn close_client(&self, client: &str) -> bool {
        self.ask(Request::CloseClient { client: client.into() }).await.ok
    }

    /// Whether a client is connected (to any node).
    pub async fn is_online(&self, client: &str) -> bool {
        self.ask(Request::IsOnline { client: client.into() }).await.ok
    }

    /// The uid bound to a client, if any.
    pub async fn uid_of_client(&self, client: &str) -> Option<String> {
        self.ask(Request::UidOfClient { client: client.into() }).await.uid
    }

    /// Queues a message to every client bound to `uid`; returns how many got it.
    pub async fn send_to_uid(&self, uid: &str, message: Bytes) -> u64 {
        self.call(Request::SendToUid { uid: uid.into() }, message).await.n
    }

    /// Queues a message to every client in `group`; returns how many got it.
    pub async fn send_to_group(&self, group: &str, message: Bytes) -> u64 {
        self.call(Request::SendToGroup { group: group.into() }, message).await.n
    }

    /// Queues a message to every connected client; returns how many got it.
    pub async fn send_to_all(&self, message: Bytes) -> u64 {
        self.call(Request::SendToAll, message).await.n
    }

    /// Whether any client bound to `uid` is connected.
    pub async fn is_uid_online(&self, uid: &str) -> bool {
        !self.clients_of_uid(uid).await.is_empty()
    }

    /// The clients bound to `uid`, sorted.
    pub async fn clients_of_uid(&self, uid: &str) -> Vec<String> {
        self.ask(Request::ClientsOfUid { uid: uid.into() }).await.items
    }

    /// How many clients are in `group`.
    pub async fn group_client_count(&self, group: &str) -> u64 {
        self.group_client_ids(group).await.len() as u64
    }

    /// The clients in `group`, sorted.
    pub async fn group_client_ids(&self, group: &str) -> Vec<String> {
        self.ask(Request::GroupClients { group: group.into() }).await.items
    }

    /// The distinct uids of the clients in `group`, sorted.
    pub async fn group_uids(&self, group: &str) -> Vec<String> {
        self.ask(Request::GroupUids { group: group.into() }).await.items
    }

    /// How many distinct uids the clients in `group` have.
    pub async fn group_uid_count(&self, group: &str) -> u64 {
        self.group_uids(group).await.len() as u64
    }

    /// Every uid bound to a connected client, sorted.
    pub async fn all_uids(&self) -> Vec<String> {
        self.ask(Request::AllUids).await.items
    }

    /// Every group with a connected member, sorted.
    pub async fn all_groups(&self) -> Vec<String> {
        self.ask(Request::AllGroups).await.items
    }

    /// How many clients are connected, cluster-wide.
    pub async fn client_count(&self) -> u64 {
        self.ask(Request::ClientCount).await.n
    }

    /// How many connections subscribe to `channel`, cluster-wide (firetower's GetConnectNum).
    pub async fn subscriber_count(&self, channel: &str) -> u64 {
        self.ask(Request::SubscriberCount {
            channel: channel.into(),
        })
        .await
        .n
    }

    /// The members of `channel` and their counts, cluster-wide (spec 15.2): at most
    /// the server's `presence_max_members` listed, `capped` when there are more.
    /// Empty for a channel whose namespace keeps no presence.
    pub async fn presence(&self, channel: &str) -> super::ChannelPresence {
        super::presence::query(&self.handle, channel, true).await
    }

    /// The counts of `channel`'s members, cluster-wide (spec 15.2), without the list.
    pub async fn presence_stats(&self, channel: &str) -> super::ChannelPresence {
        super::presence::query(&self.handle, channel, false).await
    }

    /// The nodes answering, this one included, sorted.
    pub fn nodes(&self) -> Vec<String> {
        let h = &self.handle;
        let mut v = self.state.link().map(|l| l.live_nodes()).unwrap_or_default();
        v.push(h.node_id().to_string());
        v.sort();
        v
    }

    /// Closes every connection, on any node, that holds takeover `key` and opened
    /// before `client` (opened at `opened`, ns since the epoch). Returns how many.
    pub async fn take_over(&self, key: &str, client: &str, opened: u64) -> u64 {
        let req = Request::Takeover {
            key: key.into(),
            client: client.into(),
            opened,
        };
        self.ask(req).await.n
    }

    /// The uid of a connection on this node, without waiting (for hooks).
    pub fn local_uid(&self, conn: &Conn) -> Option<String> {
        self.state.local().uid_of(conn.id()).map(str::to_string)
    }

    /// The info of a connection on this node, without waiting (for hooks).
    pub fn local_info(&self, conn: &Conn) -> Info {
        self.state.local().info(conn.id())
    }
}
