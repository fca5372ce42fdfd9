//! What the CLI writes on stdout: plain-text tables and lines for terminals (`--json` prints
//! serde values instead), made safe here in one place.
//!
//! Names, numbers, reasons and messages come from ledgers and plugins, which are outside the
//! trust boundary: a customer called `"\x1b[2J"` must not clear the operator's screen, a bidi
//! override must not make one invoice number read as another, and a 70,000-character name must
//! not make the table panic. So every cell of [`table`] goes through [`safe`], and every other
//! line that prints outside data as text does too (or [`safe_text`] for multi-line message
//! bodies). JSON output is left as it is: serde escapes control characters itself.
//!
//! Writing goes through [`out!`] / [`outln!`], never `print!`: when stdout is a pipe whose
//! reader has gone (`credence customers | head -1`), the process exits quietly with status
//! [`CLOSED_PIPE`] instead of panicking with "failed printing to stdout".

use std::borrow::Cow;

/// The most characters a table cell shows; longer values end in `…`. `--json` has the whole
/// value; the cap keeps one hostile or careless value from pushing every column off the screen.
pub const MAX_CELL: usize = 120;

/// The exit status when stdout is a pipe whose reader has gone: 141 (128 + SIGPIPE), what the
/// shell reports for any Unix tool stopped by a closed pipe, so `set -o pipefail` scripts see
/// the same thing they would for `cat`. Nothing is wrong with the data; no message is printed.
pub const CLOSED_PIPE: u8 = 141;

/// Write to stdout like `print!`, exiting quietly when stdout is a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

/// Write a line to stdout like `println!`, exiting quietly when stdout is a closed pipe.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Write formatted text to stdout, through [`safe_text`]: the last line of defence, so that
/// nothing the CLI prints as text can carry an escape sequence, a bell, a carriage return or a
/// bidi override, even where a command forgot to make a field [`safe`] (which it still should
/// where a line feed inside a value would forge a line).
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    let text = match args.as_str() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(args.to_string()),
    };
    write_raw(safe_text(&text).as_bytes());
}

/// Write bytes to stdout as they are (JSON, which serde escaped). A reader that went away
/// (`| head`) ends the process with [`CLOSED_PIPE`] and no message, as SIGPIPE would for a C
/// tool (the workspace denies `unsafe`, so the signal's default action cannot be restored);
/// any other write error (a full disk behind a redirection) is reported on stderr and the
/// process exits with 1, since the output the user asked for is incomplete.
fn write_raw(bytes: &[u8]) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(i32::from(CLOSED_PIPE));
        }
        eprintln!("error: cannot write to stdout: {e}; the output above is incomplete");
        std::process::exit(1);
    }
}

/// Whether a character must not reach a terminal as it is: C0 controls (ESC, BEL, CR, LF,
/// TAB...), DEL, C1 controls, the bidi embeddings, overrides and isolates (U+202A–U+202E,
/// U+2066–U+2069) and the marks U+200E/U+200F/U+061C that reorder what follows, and the
/// Unicode line and paragraph separators.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{061C}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

fn escape_into(out: &mut String, c: char) {
    use std::fmt::Write;
    // Writing to a String cannot fail.
    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
}

/// Outside text made safe for a terminal on one line: every character that could move the
/// cursor, change colours, ring the bell, end the line or reorder the text is shown escaped
/// (`\u{1b}`, `\u{d}`, `\u{202e}`), so the operator sees exactly what the ledger holds.
pub fn safe(text: &str) -> Cow<'_, str> {
    escape_where(text, unsafe_char)
}

/// Like [`safe`], but line feeds (and tabs) are kept: for message bodies and other text that
/// is meant to span lines. A carriage return is still escaped (it would let one line overwrite
/// another).
pub fn safe_text(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| unsafe_char(c) && c != '\n' && c != '\t')
}

/// `text` with every character `bad` picks shown escaped; borrowed when there is none.
fn escape_where(text: &str, bad: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value as shown in a table cell or a heading: [`safe`], and at most [`MAX_CELL`]
/// characters (the last one `…` when cut; `--json` has the whole value).
pub fn cell(text: &str) -> Cow<'_, str> {
    let safe = safe(text);
    if safe.chars().count() <= MAX_CELL {
        return safe;
    }
    let mut cut: String = safe.chars().take(MAX_CELL - 1).collect();
    cut.push('…');
    Cow::Owned(cut)
}

/// Render rows under headers with columns padded to their widest cell. Cells are made safe
/// for a terminal and capped at [`MAX_CELL`] characters (`--json` has whole values). Padding
/// is done by hand: `format!("{c:<w$}")` panics on widths over `u16::MAX`.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<Cow<'_, str>>> = rows
        .iter()
        .map(|row| row.iter().map(|c| cell(c)).collect())
        .collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        for (i, c) in cells.enumerate() {
            if i > 0 {
                out.push_str("  ");
            }
            out.push_str(c);
            let width = widths.get(i).copied().unwrap_or(0);
            let pad = width.saturating_sub(c.chars().count());
            out.extend(std::iter::repeat_n(' ', pad));
        }
        out.truncate(out.trim_end().len());
        out
    };
    let mut out = line(&mut headers.iter().copied());
    out.push('\n');
    for row in &rows {
        out.push_str(&line(&mut row.iter().map(|c| c.as_ref())));
        out.push('\n');
    }
    out
}

/// Print a JSON value as one line (JSON lines output; serde escapes control characters).
pub fn json_line(value: &serde_json::Value) {
    let mut text = value.to_string();
    text.push('\n');
    write_raw(text.as_bytes());
}

/// Print a value as pretty JSON on stdout (serde escapes control characters in strings).
pub fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write_raw(text.as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_overrides_are_shown_escaped() {
        let cases = [
            ("plain Müller & Co", "plain Müller & Co"),
            ("\x1b[2Jwiped", "\\u{1b}[2Jwiped"),
            ("red\x1b[31m", "red\\u{1b}[31m"),
            ("over\rwrite", "over\\u{d}write"),
            ("bell\x07", "bell\\u{7}"),
            ("two\nlines", "two\\u{a}lines"),
            ("tab\there", "tab\\u{9}here"),
            ("c1\u{9b}31m", "c1\\u{9b}31m"),
            ("del\u{7f}", "del\\u{7f}"),
            ("inv-\u{202e}1234", "inv-\\u{202e}1234"),
            ("\u{2066}iso\u{2069}", "\\u{2066}iso\\u{2069}"),
        ];
        for (input, shown) in cases {
            assert_eq!(safe(input), shown, "{input:?}");
        }
        assert_eq!(
            safe_text("line one\r\nline\x1b two\n"),
            "line one\\u{d}\nline\\u{1b} two\n"
        );
    }

    #[test]
    fn tables_escape_every_cell_and_cap_giant_ones_without_panicking() {
        let giant = "x".repeat(70_000);
        let rows = vec![
            vec!["a\x1b[2J".to_string(), giant.clone()],
            vec!["b".to_string(), "short".to_string()],
        ];
        let out = table(&["id", "name"], &rows);
        assert!(!out.contains('\x1b'), "{out}");
        assert!(out.contains("a\\u{1b}[2J"), "{out}");
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        let shown = format!("{}…", "x".repeat(MAX_CELL - 1));
        assert!(lines[1].ends_with(&shown), "{}", lines[1]);
        // `a\u{1b}[2J` is 10 characters wide once escaped.
        assert_eq!(lines[2], format!("b{}short", " ".repeat(9 + 2)));
        assert_eq!(lines[0], format!("id{}name", " ".repeat(8 + 2)));
    }
}
