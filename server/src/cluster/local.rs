//! This node's part of the connection directory: which local connection has
//! which uid, groups, info and takeover key. Every node keeps only its own
//! connections; cluster-wide answers are assembled from every node's part.

use crate::id::ConnId;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A connection's info: a string map set by the application.
pub type Info = BTreeMap<String, String>;

/// The directory entries of this node's connections. Kept behind a std mutex
/// in [`super::State`]: every operation is a few map updates, never held across an await.
#[derive(Debug, Default)]
pub(crate) struct Local {
    /// Uid bound to each connection (at most one).
    uid_of: HashMap<ConnId, String>,
    /// Connections bound to each uid (several connections may share one).
    by_uid: HashMap<String, BTreeSet<ConnId>>,
    /// Groups each connection joined.
    groups_of: HashMap<ConnId, BTreeSet<String>>,
    /// Connections in each group.
    by_group: HashMap<String, BTreeSet<ConnId>>,
    /// Each connection's info map (absent until set).
    info: HashMap<ConnId, Info>,
    /// Takeover key of each connection, with its opening time (ns since the epoch).
    key_of: HashMap<ConnId, (String, u64)>,
}

impl Local {
    /// Binds `uid` to `id`, replacing its previous uid.
    pub(crate) fn bind_uid(&mut self, id: ConnId, uid: &str) {
        self.unbind_uid(id);
        self.uid_of.insert(id, uid.to_string());
        self.by_uid.entry(uid.to_string()).or_default().insert(id);
    }

    /// Removes the uid of `id`; `false` when it had none.
    pub(crate) fn unbind_uid(&mut self, id: ConnId) -> bool {
        let Some(old) = self.uid_of.remove(&id) else {
            return false;
        };
        remove_member(&mut self.by_uid, &old, id);
        true
    }

    /// The uid bound to `id`.
    pub(crate) fn uid_of(&self, id: ConnId) -> Option<&str> {
        self.uid_of.get(&id).map(String::as_str)
    }

    /// The local connections bound to `uid`.
    pub(crate) fn conns_of_uid(&self, uid: &str) -> Vec<ConnId> {
        self.by_uid
            .get(uid)
            .map_or_else(Vec::new, |s| s.iter().copied().collect())
    }

    /// Adds `id` to `group`; `false` when it already was in it.
    pub(crate) fn join_group(&mut self, id: ConnId, group: &str) -> bool {
        let new = self.groups_of.entry(id).or_default().insert(group.to_string());
        self.by_group.entry(group.to_string()).or_default().insert(id);
        new
    }

    /// Removes `id` from `group`; `false` when it was not in it.
    pub(crate) fn leave_group(&mut self, id: ConnId, group: &str) -> bool {
        let Some(groups) = self.groups_of.get_mut(&id) else {
            return false;
        };
        let was = groups.remove(group);
        if groups.is_empty() {
            self.groups_of.remove(&id);
        }
        remove_member(&mut self.by_group, group, id);
        was
    }

    /// The local connections in `group`.
    pub(crate) fn group(&self, group: &str) -> Vec<ConnId> {
        self.by_group
            .get(group)
            .map_or_else(Vec::new, |s| s.iter().copied().collect())
    }

    /// Every uid bound on this node.
    pub(crate) fn uids(&self) -> Vec<String> {
        self.by_uid.keys().cloned().collect()
    }

    /// Every group with a local member.
    pub(crate) fn groups(&self) -> Vec<String> {
        self.by_group.keys().cloned().collect()
    }

    /// Replaces the info of `id`.
    pub(crate) fn set_info(&mut self, id: ConnId, info: Info) {
        self.info.insert(id, info);
    }

    /// Merges `info` into the info of `id` (given keys replaced, others kept).
    pub(crate) fn update_info(&mut self, id: ConnId, info: Info) {
        self.info.entry(id).or_default().extend(info);
    }

    /// The info of `id` (empty when never set).
    pub(crate) fn info(&self, id: ConnId) -> Info {
        self.info.get(&id).cloned().unwrap_or_default()
    }

    /// Records the takeover key of `id`, opened at `opened` (ns since the epoch).
    pub(crate) fn set_key(&mut self, id: ConnId, key: &str, opened: u64) {
        self.key_of.insert(id, (key.to_string(), opened));
    }

    /// Local connections holding `key` that are older than `(opened, client)`:
    /// the ones a newer connection with that key takes over. Ties on time are
    /// broken by client id so two nodes never close each other's newest.
    pub(crate) fn older_with_key(
        &self,
        key: &str,
        opened: u64,
        client: &str,
        client_id: impl Fn(ConnId) -> Option<String>,
    ) -> Vec<ConnId> {
        self.key_of
            .iter()
            .filter(|(_, (k, _))| k == key)
            .filter(|(id, (_, t))| match client_id(**id) {
                Some(c) => (*t, c.as_str()) < (opened, client),
                None => false,
            })
            .map(|(id, _)| *id)
            .collect()
    }

    /// Forgets everything about `id` (it closed).
    pub(crate) fn remove(&mut self, id: ConnId) {
        self.unbind_uid(id);
        for g in self.groups_of.remove(&id).unwrap_or_default() {
            remove_member(&mut self.by_group, &g, id);
        }
        self.info.remove(&id);
        self.key_of.remove(&id);
    }
}

fn remove_member(map: &mut HashMap<String, BTreeSet<ConnId>>, key: &str, id: ConnId) {
    if let Some(set) = map.get_mut(key) {
        set.remove(&id);
        if set.is_empty() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_groups_info_and_removal() {
        let mut d = Local::default();
        d.bind_uid(1, "ann");
        d.bind_uid(2, "ann");
        d.bind_uid(1, "bob");
        assert_eq!(d.uid_of(1), Some("bob"));
        assert_eq!(d.conns_of_uid("ann"), vec![2]);
        assert!(d.join_group(1, "g"));
        assert!(!d.join_group(1, "g"));
        assert!(d.join_group(2, "g"));
        assert_eq!(d.group("g"), vec![1, 2]);
        d.set_info(1, Info::from([("a".into(), "1".into())]));
        d.update_info(1, Info::from([("b".into(), "2".into())]));
        assert_eq!(d.info(1).len(), 2);
        d.set_info(1, Info::from([("c".into(), "3".into())]));
        assert_eq!(d.info(1), Info::from([("c".into(), "3".into())]));
        d.remove(1);
        assert_eq!(d.uid_of(1), None);
        assert_eq!(d.group("g"), vec![2]);
        assert!(d.info(1).is_empty());
        assert!(d.leave_group(2, "g"));
        assert!(d.groups().is_empty());
        assert!(d.unbind_uid(2));
        assert!(d.uids().is_empty());
    }

    #[test]
    fn takeover_closes_only_older_holders_of_the_key() {
        let mut d = Local::default();
        d.set_key(1, "k", 10);
        d.set_key(2, "k", 20);
        d.set_key(3, "other", 5);
        let id = |n: ConnId| Some(format!("node-{n}"));
        assert_eq!(d.older_with_key("k", 20, "node-2", id), vec![1]);
        let mut both = d.older_with_key("k", 30, "x-9", id);
        both.sort();
        assert_eq!(both, vec![1, 2]);
        assert!(d.older_with_key("k", 5, "x-9", id).is_empty());
    }
}
