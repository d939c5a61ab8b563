//! Words for counts, shared by reports, plans and their errors; and the one
//! escaping of text from the user's files before it reaches a terminal or a log.

use std::borrow::Cow;

/// `one` when `n` is 1, else `many` (`select`/`selects`, `it`/`them`).
pub(crate) fn one_or_many(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// A count and its noun: `1 error`, `2 errors`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", one_or_many(n, "", "s"))
}

/// Whether the character at the start of `rest` must not be printed raw:
/// a C0 control other than line feed and tab (a carriage return only when it
/// does not start a `\r\n` line break), DEL, or a C1 control. Printed raw
/// they rewrite a terminal's title, clear its screen, move its cursor over
/// earlier lines, or start a line of their own in a CI log.
fn unsafe_at(c: char, rest: &str) -> bool {
    match c {
        '\n' | '\t' => false,
        '\r' => !rest[1..].starts_with('\n'),
        c => c.is_control(),
    }
}

/// `s` with each unsafe control character written as Rust writes it
/// (`\u{1b}` for ESC, `\u{7}` for BEL, `\u{9b}` for CSI): the one function
/// every text output (human, github, junit, plans, diffs) passes text from
/// the user's files through. Line feeds, tabs and `\r\n` are kept.
pub(crate) fn escape(s: &str) -> Cow<'_, str> {
    if !s.char_indices().any(|(i, c)| unsafe_at(c, &s[i..])) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(escape_at(s, &mut []))
}

/// [`escape`], and where each byte offset of `at` (into `s`, on a character
/// boundary) lands in the result: a span into `s` becomes a span into the
/// escaped text, so a caret under it still points at the same character.
pub(crate) fn escape_at(s: &str, at: &mut [usize]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut mapped = vec![false; at.len()];
    for (i, c) in s.char_indices() {
        for (p, done) in at.iter_mut().zip(mapped.iter_mut()) {
            if !*done && *p <= i {
                *p = out.len();
                *done = true;
            }
        }
        if unsafe_at(c, &s[i..]) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    for (p, done) in at.iter_mut().zip(mapped) {
        if !done {
            *p = out.len();
        }
    }
    out
}

/// `eprintln!` for a line that may quote the repository (an object's name, a
/// file name, a message of a tool): control characters are escaped.
macro_rules! say {
    ($($arg:tt)+) => {
        eprintln!("{}", $crate::text::escape(&format!($($arg)+)))
    };
}
pub(crate) use say;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(super::plural(1, "file"), "1 file");
        assert_eq!(super::plural(0, "file"), "0 files");
        assert_eq!(super::one_or_many(2, "it", "them"), "them");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert!(matches!(escape("plain: ünïcode\tand\nlines\r\n"), Cow::Borrowed(_)));
        assert_eq!(escape("a\x1b]0;title\x07b"), "a\\u{1b}]0;title\\u{7}b");
        assert_eq!(escape("del\x7f c1\u{9b}2J nul\0"), "del\\u{7f} c1\\u{9b}2J nul\\u{0}");
        assert_eq!(escape("over\rwrite\r\nkept"), "over\\u{d}write\r\nkept");
        assert_eq!(escape("\r"), "\\u{d}");
        // escaping twice changes nothing more
        assert_eq!(escape(&escape("x\x1by")), "x\\u{1b}y");
    }

    #[test]
    fn diffs_of_user_text_are_escaped() {
        let d = crate::edit::diff::unified("a\x1b.yaml", Some("k: \"\x1b[2J\"\nx: 1\n"), Some("k: \"\x1b[2J\"\nx: 2\n"));
        assert!(d.contains("--- a/a\\u{1b}.yaml\n") && d.contains(" k: \"\\u{1b}[2J\"\n-x: 1\n+x: 2\n"), "{d}");
        assert!(!d.chars().any(|c| c.is_control() && c != '\n'), "{d:?}");
    }

    #[test]
    fn offsets_follow_the_escaping() {
        let s = "a\x1bbc\x07d";
        let mut at = [0, 1, 2, 3, 4, 5, s.len()];
        let out = escape_at(s, &mut at);
        assert_eq!(out, "a\\u{1b}bc\\u{7}d");
        assert_eq!(at, [0, 1, 7, 8, 9, 14, 15]);
        assert_eq!(&out[at[2]..at[3]], "b");
        assert_eq!(&out[at[5]..at[6]], "d");
    }
}
