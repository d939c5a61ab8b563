//! What a fix is made of: edits of a document at JSON pointers, as plain
//! data (rules build them, the comment-preserving editor applies them).

/// A scalar or small structure to write.
#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
    Str(String),
    Int(i64),
    Bool(bool),
    Map(Vec<(String, Yaml)>),
    /// Written in flow style (`[a, b]`).
    Seq(Vec<Yaml>),
}

impl Yaml {
    pub fn str(s: impl Into<String>) -> Yaml {
        Yaml::Str(s.into())
    }

    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Yaml::Str(s) => s.clone().into(),
            Yaml::Int(i) => (*i).into(),
            Yaml::Bool(b) => (*b).into(),
            Yaml::Seq(items) => items.iter().map(Yaml::to_json).collect(),
            Yaml::Map(entries) => entries.iter().map(|(k, v)| (k.clone(), v.to_json())).collect::<serde_json::Map<_, _>>().into(),
        }
    }
}

/// One edit of a document at a JSON pointer: what a rule's fix is made of.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// Set the value at the pointer (creating missing mappings).
    Set { ptr: String, value: Yaml },
    /// Remove the mapping entry at the pointer.
    Remove { ptr: String },
    /// Make the scalar at the pointer a string of the text it is written
    /// as (`1.0` -> `"1.0"`, `true` -> `"true"`; a null becomes `""`).
    Quote { ptr: String },
}

impl Op {
    pub fn set(ptr: impl Into<String>, value: Yaml) -> Op {
        Op::Set { ptr: ptr.into(), value }
    }

    pub fn remove(ptr: impl Into<String>) -> Op {
        Op::Remove { ptr: ptr.into() }
    }

    pub fn ptr(&self) -> &str {
        match self {
            Op::Set { ptr, .. } | Op::Remove { ptr } | Op::Quote { ptr } => ptr,
        }
    }
}
