//! Printing received messages for people: the start line and headers one per line,
//! a blank line, then the body as text (or its size when it is not UTF-8).

use lhttp_client::Message;

/// The readable form of `msg`, ending with a newline.
pub fn render(msg: &Message) -> String {
    let mut out = format!("LHTTP/1.0 {}\n", msg.command());
    for (name, value) in msg.headers() {
        out.push_str(&format!("{name}:{value}\n"));
    }
    out.push('\n');
    match msg.body_text() {
        Some(text) => {
            out.push_str(text);
            if !text.is_empty() && !text.ends_with('\n') {
                out.push('\n');
            }
        }
        None => out.push_str(&format!("<{} bytes of binary body>\n", msg.body().len())),
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_headers_and_body() {
        let msg = Message::new("chat").with_header("publish", "room").with_body("hi");
        assert_eq!(render(&msg), "LHTTP/1.0 chat\npublish:room\n\nhi\n");
        let binary = Message::new("blob").with_body(vec![0xff, 0xfe]);
        assert_eq!(render(&binary), "LHTTP/1.0 blob\n\n<2 bytes of binary body>\n");
    }
}
