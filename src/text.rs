//! Words for counts, shared by reports, plans and their errors.

/// `one` when `n` is 1, else `many` (`select`/`selects`, `it`/`them`).
pub(crate) fn one_or_many(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// A count and its noun: `1 error`, `2 errors`.
pub(crate) fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", one_or_many(n, "", "s"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts() {
        assert_eq!(super::plural(1, "file"), "1 file");
        assert_eq!(super::plural(0, "file"), "0 files");
        assert_eq!(super::one_or_many(2, "it", "them"), "them");
    }
}
