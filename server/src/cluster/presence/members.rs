//! Who is in each channel with presence, as this node knows it: its own
//! members (the ones it answers for, with the grace of a member that
//! disconnected) and the other nodes' members it heard of (so that it can say
//! they left when their node is lost). Plain maps, no I/O: the presence layer
//! holds them behind one std mutex.

use super::super::local::Info;
use crate::id::ConnId;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// One member as queries and events show it (spec 15.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Its client id.
    pub client: String,
    /// Its uid; empty when it has none.
    #[serde(default)]
    pub uid: String,
    /// Its info; empty when it has none.
    #[serde(default)]
    pub info: Info,
}

impl Member {
    /// The node a member's client id names (`<node>-<n>`, 11.1).
    pub fn node(&self) -> &str {
        self.client.rsplit_once('-').map_or("", |(node, _)| node)
    }
}

/// A local member: the member, and when it disconnected, the grace's ticket.
#[derive(Debug, Clone)]
struct Entry {
    member: Member,
    /// `Some(ticket)` while its leave waits out the grace.
    leaving: Option<u64>,
}

/// What a subscribe did to a channel's members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Joined {
    /// A new member: its join is due.
    New,
    /// It took the place of a member of the same uid within its grace: no events.
    Resumed,
}

/// What an unsubscribe did to a channel's members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Left {
    /// Not a member.
    None,
    /// Gone: its leave is due.
    Now(Member),
    /// Stays for the grace; [`Members::expire`] with this ticket ends it.
    Later(u64),
}

/// A channel's local members by connection, and what other nodes told of theirs.
#[derive(Debug, Default)]
pub(crate) struct Members {
    local: HashMap<String, BTreeMap<ConnId, Entry>>,
    /// Members of other nodes by channel and client id (channels with join/leave only).
    remote: HashMap<String, BTreeMap<String, Member>>,
    tickets: u64,
}

impl Members {
    /// Connection `id` joined `channel` as `member`.
    pub(crate) fn join(&mut self, channel: &str, id: ConnId, member: Member) -> Joined {
        let entries = self.local.entry(channel.to_string()).or_default();
        let resumed = (!member.uid.is_empty())
            .then(|| {
                entries
                    .iter()
                    .find(|(_, e)| e.leaving.is_some() && e.member.uid == member.uid)
                    .map(|(old, _)| *old)
            })
            .flatten();
        if let Some(old) = resumed {
            entries.remove(&old);
        }
        entries.insert(id, Entry { member, leaving: None });
        if resumed.is_some() {
            Joined::Resumed
        } else {
            Joined::New
        }
    }

    /// Connection `id` left `channel`; `grace`: it disconnected, and a member with
    /// a uid then stays until [`expire`](Self::expire).
    pub(crate) fn leave(&mut self, channel: &str, id: ConnId, grace: bool) -> Left {
        let Some(entries) = self.local.get_mut(channel) else {
            return Left::None;
        };
        let Some(entry) = entries.get_mut(&id) else {
            return Left::None;
        };
        if grace && !entry.member.uid.is_empty() && entry.leaving.is_none() {
            self.tickets += 1;
            entry.leaving = Some(self.tickets);
            return Left::Later(self.tickets);
        }
        let gone = entries.remove(&id).map(|e| e.member);
        if entries.is_empty() {
            self.local.remove(channel);
        }
        gone.map_or(Left::None, Left::Now)
    }

    /// The grace of ticket `ticket` ran out: the member, if nothing took its place.
    pub(crate) fn expire(&mut self, channel: &str, id: ConnId, ticket: u64) -> Option<Member> {
        let entries = self.local.get_mut(channel)?;
        if entries.get(&id)?.leaving != Some(ticket) {
            return None;
        }
        let gone = entries.remove(&id).map(|e| e.member);
        if entries.is_empty() {
            self.local.remove(channel);
        }
        gone
    }

    /// Every member still in its grace, taken out (a node that stops sends their leaves at once).
    pub(crate) fn take_leaving(&mut self) -> Vec<(String, Member)> {
        let mut out = Vec::new();
        for (channel, entries) in &mut self.local {
            let ids: Vec<ConnId> = entries
                .iter()
                .filter(|(_, e)| e.leaving.is_some())
                .map(|(id, _)| *id)
                .collect();
            for id in ids {
                if let Some(e) = entries.remove(&id) {
                    out.push((channel.clone(), e.member));
                }
            }
        }
        self.local.retain(|_, e| !e.is_empty());
        out
    }

    /// This node's members of `channel`, by client id: how many, their distinct
    /// non-empty uids, and the first `max` of them.
    pub(crate) fn local(&self, channel: &str, max: usize) -> (u64, Vec<String>, Vec<Member>) {
        let Some(entries) = self.local.get(channel) else {
            return (0, Vec::new(), Vec::new());
        };
        let uids: BTreeSet<&str> = entries
            .values()
            .map(|e| e.member.uid.as_str())
            .filter(|u| !u.is_empty())
            .collect();
        let mut members: Vec<Member> = entries.values().map(|e| e.member.clone()).collect();
        members.sort_by(|a, b| a.client.cmp(&b.client));
        members.truncate(max);
        (
            entries.len() as u64,
            uids.into_iter().map(str::to_string).collect(),
            members,
        )
    }

    /// Another node said `member` joined (`true`) or left `channel`.
    pub(crate) fn heard(&mut self, channel: &str, member: Member, joined: bool) {
        if joined {
            self.remote
                .entry(channel.to_string())
                .or_default()
                .insert(member.client.clone(), member);
        } else if let Some(m) = self.remote.get_mut(channel) {
            m.remove(&member.client);
            if m.is_empty() {
                self.remote.remove(channel);
            }
        }
    }

    /// Nothing on this node listens to `channel` any more: forget the other nodes' members of it.
    pub(crate) fn forget(&mut self, channel: &str) {
        self.remote.remove(channel);
    }

    /// The members of `node` this node heard of, taken out, by channel.
    pub(crate) fn take_node(&mut self, node: &str) -> Vec<(String, Member)> {
        let mut out = Vec::new();
        for (channel, members) in &mut self.remote {
            let of_node: Vec<String> = members
                .values()
                .filter(|m| m.node() == node)
                .map(|m| m.client.clone())
                .collect();
            for client in of_node {
                if let Some(m) = members.remove(&client) {
                    out.push((channel.clone(), m));
                }
            }
        }
        self.remote.retain(|_, m| !m.is_empty());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(client: &str, uid: &str) -> Member {
        Member {
            client: client.into(),
            uid: uid.into(),
            info: Info::new(),
        }
    }

    #[test]
    fn an_unsubscribe_leaves_at_once_and_a_disconnect_after_the_grace() {
        let mut m = Members::default();
        assert_eq!(m.join("r", 1, member("n-1", "ann")), Joined::New);
        assert_eq!(m.join("r", 2, member("n-2", "")), Joined::New);
        assert_eq!(m.leave("r", 2, true), Left::Now(member("n-2", "")), "no uid: no grace");
        let Left::Later(ticket) = m.leave("r", 1, true) else {
            panic!("a member with a uid waits")
        };
        assert_eq!(m.local("r", 10).0, 1, "still a member during the grace");
        assert_eq!(m.expire("r", 1, ticket + 1), None, "another ticket");
        assert_eq!(m.expire("r", 1, ticket), Some(member("n-1", "ann")));
        assert_eq!(m.local("r", 10).0, 0);
        assert_eq!(m.leave("r", 1, false), Left::None);
    }

    #[test]
    fn the_same_uid_back_within_the_grace_resumes_without_events() {
        let mut m = Members::default();
        m.join("r", 1, member("n-1", "ann"));
        let Left::Later(ticket) = m.leave("r", 1, true) else {
            panic!()
        };
        assert_eq!(m.join("r", 3, member("n-3", "bob")), Joined::New, "another uid");
        assert_eq!(m.join("r", 4, member("n-4", "ann")), Joined::Resumed);
        assert_eq!(m.expire("r", 1, ticket), None, "its place was taken");
        let (n, uids, members) = m.local("r", 10);
        assert_eq!((n, uids), (2, vec!["ann".to_string(), "bob".to_string()]));
        assert_eq!(members[0].client, "n-3");
        assert_eq!(m.local("r", 1).2.len(), 1, "capped list, complete count");
    }

    #[test]
    fn a_lost_node_takes_its_members_with_it() {
        let mut m = Members::default();
        m.heard("r", member("a-1", "ann"), true);
        m.heard("s", member("a-2", ""), true);
        m.heard("r", member("b-1", "bob"), true);
        m.heard("r", member("b-1", "bob"), false);
        let mut gone = m.take_node("a");
        gone.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            gone,
            vec![("r".into(), member("a-1", "ann")), ("s".into(), member("a-2", ""))]
        );
        assert!(m.take_node("a").is_empty() && m.take_node("b").is_empty());
    }

    #[test]
    fn leaving_members_are_taken_at_shutdown() {
        let mut m = Members::default();
        m.join("r", 1, member("n-1", "ann"));
        m.join("r", 2, member("n-2", "bob"));
        m.leave("r", 1, true);
        assert_eq!(m.take_leaving(), vec![("r".into(), member("n-1", "ann"))]);
        assert_eq!(m.local("r", 10).0, 1);
    }
}
