//! Rule settings: which rules run, at which severity, with which parameters.

use crate::finding::Severity;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// A rule's level: off, or a severity that replaces the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Off,
    On(Severity),
}

#[derive(Clone, Debug, Default)]
pub struct RuleSetting {
    pub level: Option<Level>,
    pub params: serde_json::Map<String, serde_json::Value>,
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    pub rules: HashMap<String, RuleSetting>,
}

impl Config {
    pub fn enabled(&self, rule: &str) -> bool {
        !matches!(self.rules.get(rule).and_then(|r| r.level), Some(Level::Off))
    }

    /// The configured severity of a rule, if the config overrides it.
    pub fn severity(&self, rule: &str) -> Option<Severity> {
        match self.rules.get(rule)?.level? {
            Level::On(s) => Some(s),
            Level::Off => None,
        }
    }

    /// A rule parameter, or `default` when unset or of the wrong type
    /// (the config loader validates types up front).
    pub fn param<T: DeserializeOwned>(&self, rule: &str, name: &str, default: T) -> T {
        self.rules
            .get(rule)
            .and_then(|r| r.params.get(name))
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or(default)
    }
}
