//! Output formats.

pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

use crate::finding::Finding;

/// 1-based line/column region of a finding (end column exclusive, as in SARIF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

impl Region {
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
