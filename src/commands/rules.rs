//! `rules`, `explain RULE` and `config-schema`: the rule catalogue and the config's schema.

use super::{Exit, write_stdout};
use crate::cli::{ExplainFormat, RulesFormat};
use crate::{config, docs};

pub fn list(format: RulesFormat) -> Exit {
    let text = match format {
        RulesFormat::Table => docs::text_table(),
        RulesFormat::Markdown => docs::markdown_table(),
        RulesFormat::Json => serde_json::to_string_pretty(&docs::all())? + "\n",
    };
    write_stdout(&text)?;
    Ok(0)
}

pub fn explain(rule: &str, format: ExplainFormat) -> Exit {
    let d = docs::get(rule)?;
    let text = match format {
        ExplainFormat::Text => docs::explain(&d),
        ExplainFormat::Json => serde_json::to_string_pretty(&d)? + "\n",
    };
    write_stdout(&text)?;
    Ok(0)
}

pub fn config_schema() -> Exit {
    write_stdout(&(serde_json::to_string_pretty(&config::json_schema())? + "\n"))?;
    Ok(0)
}
