//! The owned LHTTP message the client sends and receives, and what the C, Python
//! and Node SDKs wrap: core's [`lhttp_core::OwnedMessage`], under the client's names;
//! plus [`MessageExt`], what a received message can be read as besides its fields.

pub use lhttp_core::owned::{OwnedMessage as Message, OwnedPart as Part, PartSpec, MAX_HEADERS, MAX_PARTS};

use lhttp_session::PresenceEvent;

use crate::Error;

/// Readings of a received [`Message`] that the session defines. A trait because
/// `Message` is core's type: `use lhttp_client::MessageExt` to call them.
pub trait MessageExt {
    /// The presence event this message is (spec 15.3): `None` when it is not a
    /// `join` or `leave` (a publication, an `error`); `Some(Err)` for one the
    /// session cannot read (the server's `Internal` error). Events arrive through
    /// [`Client::recv`](crate::Client::recv) in order with the channel's publications.
    ///
    /// ```no_run
    /// use lhttp_client::{MessageExt, PresenceKind};
    /// # async fn demo(client: lhttp_client::Client) -> Result<(), lhttp_client::Error> {
    /// client.subscribe(&["room"]).await?;
    /// while let Some(msg) = client.recv().await {
    ///     let msg = msg?;
    ///     match msg.presence_event().transpose()? {
    ///         Some(e) if e.kind == PresenceKind::Join => println!("{} joined {}", e.member.uid, e.channel),
    ///         Some(e) => println!("{} left {} ({})", e.member.uid, e.channel, e.reason),
    ///         None => println!("{}", msg.body_text().unwrap_or("")),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    fn presence_event(&self) -> Option<Result<PresenceEvent, Error>>;
}

impl MessageExt for Message {
    fn presence_event(&self) -> Option<Result<PresenceEvent, Error>> {
        PresenceEvent::read(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lhttp_session::PresenceKind;

    #[test]
    fn join_and_leave_read_as_events_and_a_publication_does_not() {
        let join = Message::parse(b"LHTTP/1.0 join\r\nchannel:room\r\nclient:n-1\r\nuid:ann\r\n\r\n{\"name\":\"Ann\"}")
            .unwrap();
        let e = join.presence_event().unwrap().unwrap();
        assert_eq!((e.kind, e.member.uid.as_str()), (PresenceKind::Join, "ann"));
        assert_eq!(e.member.info["name"], "Ann");
        let chat = Message::new("chat").with_header("channel", "room").with_body("join");
        assert!(chat.presence_event().is_none());
        let broken = Message::new("leave").with_header("channel", "room");
        assert_eq!(broken.presence_event().unwrap().unwrap_err().name(), "Internal");
    }
}
