//! Where a finding or a fix's replacement lies, as reports print it.

use super::Finding;
use serde::Serialize;

/// A 1-based line/column region of a file (columns in characters, end
/// column exclusive, as in SARIF); serialized as `line`, `column`,
/// `endLine`, `endColumn`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Region {
    /// The region of a finding: its span, at least one character wide.
    pub fn of(f: &Finding) -> Region {
        let s = f.span.start;
        let mut e = f.span.end;
        if e < s {
            e = s;
        }
        let end_column = if e == s { e.col + 2 } else { e.col + 1 };
        Region { line: s.line.max(1), column: s.col + 1, end_line: e.line.max(1), end_column }
    }
}
