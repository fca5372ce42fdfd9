//! A mail exchange on loopback that speaks SMTP (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, RSET,
//! NOOP, QUIT) and files each message it accepts into a mailbox folder, by Message-ID: a
//! message whose id is already there is accepted and dropped, as mail stores do, and logged as
//! a repeat. `transactions.log` has one line per accepted transaction, so tests can tell a
//! repeat from a message delivered once. `credence sandbox smtp --mailbox DIR` runs it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Start the exchange on 127.0.0.1:`port` (0: any free port), filing into `mailbox`.
pub async fn serve(
    port: u16,
    mailbox: PathBuf,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    serve_slowly(port, mailbox, std::time::Duration::ZERO).await
}

/// The same, answering each accepted message only after `delay` (a slow exchange: the window in
/// which a message is filed but its sender has not heard so yet).
pub async fn serve_slowly(
    port: u16,
    mailbox: PathBuf,
    delay: std::time::Duration,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    std::fs::create_dir_all(&mailbox)?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    let handle = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let mailbox = mailbox.clone();
            tokio::spawn(async move {
                if let Err(e) = session(stream, &mailbox, delay).await {
                    tracing::debug!(error = %e, "SMTP session ended");
                }
            });
        }
    });
    Ok((addr, handle))
}

/// The Message-ID header of a message, if any.
pub fn message_id(message: &str) -> Option<String> {
    message.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("message-id")
            .then(|| value.trim().to_string())
    })
}

/// A file name for a Message-ID.
fn file_name(id: &str) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '@' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}.eml")
}

/// File a message; returns whether it was new.
fn file(mailbox: &Path, message: &str, seq: u64) -> std::io::Result<bool> {
    use std::io::Write;
    let id = message_id(message).unwrap_or_else(|| format!("<no-id-{seq}-{}>", std::process::id()));
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(mailbox.join("transactions.log"))?;
    let path = mailbox.join(file_name(&id));
    let new = !path.exists();
    if new {
        let tmp = mailbox.join(format!(".{}.tmp", file_name(&id)));
        std::fs::write(&tmp, message)?;
        std::fs::rename(&tmp, &path)?;
    }
    writeln!(log, "{id} {}", if new { "new" } else { "repeat" })?;
    log.sync_data()?;
    Ok(new)
}

async fn session(
    stream: TcpStream,
    mailbox: &Path,
    delay: std::time::Duration,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write
        .write_all(b"220 credence-sandbox ESMTP ready\r\n")
        .await?;
    let mut from: Option<String> = None;
    let mut rcpt = 0usize;
    let mut line = String::new();
    let mut seq = 0u64;
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                b"250-credence-sandbox\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
            }
            "HELO" => b"250 credence-sandbox\r\n",
            "MAIL" if command.to_ascii_uppercase().starts_with("MAIL FROM:") => {
                from = Some(command[10..].trim().to_string());
                rcpt = 0;
                b"250 2.1.0 sender ok\r\n"
            }
            "RCPT" if from.is_none() => b"503 5.5.1 MAIL first\r\n",
            "RCPT" if command.to_ascii_uppercase().starts_with("RCPT TO:") => {
                let to = command[8..].trim();
                if to.contains('@') {
                    rcpt += 1;
                    b"250 2.1.5 recipient ok\r\n"
                } else {
                    b"550 5.1.3 bad recipient address syntax\r\n"
                }
            }
            "DATA" if rcpt == 0 => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut message = String::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        // Cut off before the final dot: nothing is delivered.
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let text = line.strip_prefix('.').unwrap_or(&line);
                    message.push_str(text);
                }
                seq += 1;
                let mailbox = mailbox.to_path_buf();
                let new = tokio::task::spawn_blocking(move || file(&mailbox, &message, seq))
                    .await
                    .map_err(std::io::Error::other)??;
                from = None;
                rcpt = 0;
                tokio::time::sleep(delay).await;
                if new {
                    b"250 2.0.0 queued\r\n"
                } else {
                    b"250 2.0.0 already delivered (same Message-ID): dropped\r\n"
                }
            }
            "RSET" => {
                from = None;
                rcpt = 0;
                b"250 2.0.0 reset\r\n"
            }
            "NOOP" => b"250 2.0.0 ok\r\n",
            "QUIT" => {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 command not recognized\r\n",
        };
        write.write_all(reply).await?;
    }
}

/// Messages filed in a mailbox (Message-ID -> text).
pub fn mailbox(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "eml") {
            let text = std::fs::read_to_string(&path)?;
            out.push((message_id(&text).unwrap_or_default(), text));
        }
    }
    out.sort();
    Ok(out)
}
