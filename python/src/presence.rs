//! `lhttp.Member`, `lhttp.Presence`, `lhttp.PresenceStats` and `lhttp.PresenceEvent`:
//! Python views of who is in a channel and of the `join` / `leave` events its
//! subscribers receive (spec section 15). The answers and the events are read by
//! `lhttp-session` ([`Presence::read`], [`PresenceStats::read`], [`PresenceEvent::read`]),
//! the same readers every SDK uses; this file only asks and converts.

use lhttp_client::{Client, Error};
use lhttp_session::{Member, Presence, PresenceEvent, PresenceStats};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

/// The members of `channel` (a `presence` query of the client's session).
pub async fn presence(client: &Client, channel: &str) -> Result<PyPresence, Error> {
    client.presence(channel).await.map(PyPresence::from)
}

/// The counts of `channel`'s members (a `presence-stats` query of the client's session).
pub async fn presence_stats(client: &Client, channel: &str) -> Result<PyPresenceStats, Error> {
    client.presence_stats(channel).await.map(PyPresenceStats::from)
}

/// A member's `info` as a new Python dict of str to str.
fn info_dict<'py>(py: Python<'py>, member: &Member) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in &member.info {
        dict.set_item(k, v)?;
    }
    Ok(dict)
}

/// `Member(client='n-1', uid='ann', info={'name': 'Ann'})`.
fn member_repr(py: Python<'_>, member: &Member) -> PyResult<String> {
    Ok(format!(
        "client={}, uid={}, info={}",
        member.client.as_str().into_pyobject(py)?.repr()?,
        member.uid.as_str().into_pyobject(py)?.repr()?,
        info_dict(py, member)?.repr()?,
    ))
}

/// One connection subscribed to a channel with presence: its `client` id, its
/// `uid` (`""` when it has none) and its `info` (a dict of str to str, `{}` when it
/// has none), as they were when it subscribed. Equal members compare equal.
#[pyclass(frozen, eq, name = "Member", module = "lhttp")]
#[derive(Clone, PartialEq)]
pub struct PyMember {
    /// The session's member.
    inner: Member,
}

#[pymethods]
impl PyMember {
    /// The connection's client id.
    #[getter]
    fn client(&self) -> &str {
        &self.inner.client
    }

    /// Its uid; `""` when it has none.
    #[getter]
    fn uid(&self) -> &str {
        &self.inner.uid
    }

    /// Its info (a new dict each time).
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        info_dict(py, &self.inner)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("Member({})", member_repr(py, &self.inner)?))
    }
}

/// A channel's counts: `connections` (its subscribed connections, cluster-wide)
/// and `users` (the distinct non-empty uids among them). Equal counts compare equal.
#[pyclass(frozen, eq, name = "PresenceStats", module = "lhttp")]
#[derive(Clone, Copy, PartialEq)]
pub struct PyPresenceStats {
    /// Subscribed connections.
    #[pyo3(get)]
    connections: u64,
    /// Distinct non-empty uids.
    #[pyo3(get)]
    users: u64,
}

#[pymethods]
impl PyPresenceStats {
    fn __repr__(&self) -> String {
        format!("PresenceStats(connections={}, users={})", self.connections, self.users)
    }
}

impl From<PresenceStats> for PyPresenceStats {
    fn from(s: PresenceStats) -> PyPresenceStats {
        PyPresenceStats {
            connections: s.connections,
            users: s.users,
        }
    }
}

/// What a presence query answered: `members` (a list of `Member`, ordered by
/// client id), `stats` (the complete counts, a `PresenceStats`) and `capped`
/// (`True` when the server listed fewer members than there are, its
/// `presence_max_members`).
#[pyclass(frozen, name = "Presence", module = "lhttp")]
pub struct PyPresence {
    /// The session's answer.
    inner: Presence,
}

#[pymethods]
impl PyPresence {
    /// The members (a new list each time).
    #[getter]
    fn members<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let members = self.inner.members.iter().cloned().map(|inner| PyMember { inner });
        PyList::new(py, members)
    }

    /// The counts, complete even when `members` is capped.
    #[getter]
    fn stats(&self) -> PyPresenceStats {
        self.inner.stats.into()
    }

    /// Whether the server listed fewer members than there are.
    #[getter]
    fn capped(&self) -> bool {
        self.inner.capped
    }

    fn __repr__(&self) -> String {
        format!(
            "Presence(members=<{} members>, stats={}, capped={})",
            self.inner.members.len(),
            self.stats().__repr__(),
            if self.inner.capped { "True" } else { "False" }
        )
    }
}

impl From<Presence> for PyPresence {
    fn from(inner: Presence) -> PyPresence {
        PyPresence { inner }
    }
}

/// A `join` or `leave` event, read from a received message by
/// `Message.presence_event()`: `kind` (`"join"` or `"leave"`), `channel`, the
/// member's `client`, `uid` and `info` (also together as `member`), and for a leave
/// its `reason` (`"unsubscribe"`, `"disconnect"` or `"node-lost"`; `""` for a join).
/// Equal events compare equal.
#[pyclass(frozen, eq, name = "PresenceEvent", module = "lhttp")]
#[derive(Clone, PartialEq)]
pub struct PyPresenceEvent {
    /// The session's event.
    inner: PresenceEvent,
}

#[pymethods]
impl PyPresenceEvent {
    /// `"join"` or `"leave"`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.inner.kind.as_str()
    }

    /// The channel.
    #[getter]
    fn channel(&self) -> &str {
        &self.inner.channel
    }

    /// The member's client id.
    #[getter]
    fn client(&self) -> &str {
        &self.inner.member.client
    }

    /// The member's uid; `""` when it has none.
    #[getter]
    fn uid(&self) -> &str {
        &self.inner.member.uid
    }

    /// The member's info (a new dict each time).
    #[getter]
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        info_dict(py, &self.inner.member)
    }

    /// Why a leave happened (`"unsubscribe"`, `"disconnect"`, `"node-lost"`); `""` for a join.
    #[getter]
    fn reason(&self) -> &str {
        &self.inner.reason
    }

    /// The member, as a presence query would list it.
    #[getter]
    fn member(&self) -> PyMember {
        PyMember {
            inner: self.inner.member.clone(),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "PresenceEvent(kind={}, channel={}, {}, reason={})",
            self.inner.kind.as_str().into_pyobject(py)?.repr()?,
            self.inner.channel.as_str().into_pyobject(py)?.repr()?,
            member_repr(py, &self.inner.member)?,
            self.inner.reason.as_str().into_pyobject(py)?.repr()?,
        ))
    }
}

impl From<PresenceEvent> for PyPresenceEvent {
    fn from(inner: PresenceEvent) -> PyPresenceEvent {
        PyPresenceEvent { inner }
    }
}
