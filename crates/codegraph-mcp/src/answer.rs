//! Answers built for a model: text first, within a hard token budget,
//! paged with a cursor; the same data as `structuredContent`; the cost of
//! the call (milliseconds per stage, tokens returned) and how complete the
//! index is, in both.

use crate::live::Completeness;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Map, Value, json};
use std::time::Instant;

/// The token estimate codegraph documents (one token per 4 bytes, per
/// line): the estimate every budget here is counted in.
pub fn tokens(text: &str) -> usize {
    text.lines().map(codegraph::line_tokens).sum()
}

/// Tokens kept back from a budget for the answer's closing lines (cost,
/// index state, how to get the rest).
pub const FOOTER_TOKENS: usize = 80;
/// The smallest budget a caller may ask for.
pub const MIN_BUDGET: u32 = 128;
/// The largest budget a caller may ask for.
pub const MAX_BUDGET: u32 = 32_000;

/// A budget from a caller's optional value: `default` when absent, an
/// error saying the accepted range otherwise.
pub fn budget(value: Option<u32>, default: u32) -> Result<usize, String> {
    match value {
        None => Ok(default as usize),
        Some(v) if (MIN_BUDGET..=MAX_BUDGET).contains(&v) => Ok(v as usize),
        Some(v) => Err(format!(
            "budget_tokens is {v}; pass a number from {MIN_BUDGET} to {MAX_BUDGET} (default {default}), or leave it out"
        )),
    }
}

/// The item a cursor names: cursors are `@N` (an offset into the call's
/// ordered results), as the previous answer's `next_cursor` gave it.
pub fn cursor(value: Option<&str>) -> Result<usize, String> {
    let Some(c) = value else { return Ok(0) };
    c.strip_prefix('@')
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|_| c.len() <= 12)
        .ok_or_else(|| {
            let shown: String = c.chars().take(40).collect();
            format!(
                "cursor `{shown}` is not one this server returned; pass the `next_cursor` of the previous answer (same arguments), or leave cursor out to start at the first result"
            )
        })
}

/// `Err` when `offset` lies past the `total` results.
pub fn check_offset(offset: usize, total: usize) -> Result<(), String> {
    if offset > 0 && offset >= total {
        return Err(format!(
            "the cursor points past the end: there are {total} results; leave cursor out to start again"
        ));
    }
    Ok(())
}

/// A string argument: non-empty after trimming, at most `max` bytes.
pub fn text_arg<'a>(name: &str, value: &'a str, max: usize) -> Result<&'a str, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(format!("`{name}` is empty; pass a non-empty string"));
    }
    if value.len() > max {
        return Err(format!(
            "`{name}` is {} bytes; the limit is {max} — shorten it",
            value.len()
        ));
    }
    Ok(trimmed)
}

/// An answer being built: text lines within the budget, the items kept for
/// `structuredContent`, stage timings.
#[derive(Debug)]
pub struct Answer {
    started: Instant,
    budget: usize,
    text: String,
    used: usize,
    items: Vec<Value>,
    /// The offset of the first item not shown, when the budget or the page
    /// ended before the results did.
    next: Option<usize>,
    /// How many results there are in all (when known).
    total: Option<usize>,
    cut_hint: Option<String>,
    stages: Vec<(String, f64)>,
    data: Map<String, Value>,
    stage_started: Instant,
}

impl Answer {
    pub fn new(budget: usize) -> Answer {
        let now = Instant::now();
        Answer {
            started: now,
            budget: budget.saturating_sub(FOOTER_TOKENS).max(1),
            text: String::new(),
            used: 0,
            items: Vec::new(),
            next: None,
            total: None,
            cut_hint: None,
            stages: Vec::new(),
            data: Map::new(),
            stage_started: now,
        }
    }

    /// Closes the stage that began at the previous call (or at the start).
    pub fn stage(&mut self, name: &str) {
        let now = Instant::now();
        self.stages.push((
            name.to_owned(),
            (now - self.stage_started).as_secs_f64() * 1000.0,
        ));
        self.stage_started = now;
    }

    /// Adds library-reported stage timings (`<name>_ms` keys or names).
    pub fn stages_from(&mut self, prefix: &str, stages: &std::collections::BTreeMap<String, f64>) {
        for (k, v) in stages {
            let k = k.trim_end_matches("_ms");
            self.stages.push((format!("{prefix}{k}"), *v));
        }
    }

    /// A key of `structuredContent`.
    pub fn set(&mut self, key: &str, value: Value) {
        self.data.insert(key.to_owned(), value);
    }

    /// Adds text that must be shown (a header); counted in the budget.
    pub fn line(&mut self, text: &str) {
        self.used += tokens(text);
        self.text.push_str(text);
        if !text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    /// Whether `text` still fits.
    pub fn fits(&self, text: &str) -> bool {
        self.used + tokens(text) <= self.budget
    }

    /// Adds result `index` (its text and data) if it fits; otherwise
    /// records where the rest starts and returns false (add no more).
    pub fn item(&mut self, index: usize, text: &str, data: Value) -> bool {
        if self.next.is_some() {
            return false;
        }
        if !self.fits(text) {
            if !self.items.is_empty() {
                self.next = Some(index);
                return false;
            }
            // The first result alone is over the budget: its head, marked.
            let room = self.budget.saturating_sub(self.used + 2);
            let mut cut = cut_to_tokens(text, room);
            cut.push_str("… [this result is cut at the budget: raise budget_tokens, or read_code a narrower range]");
            self.line(&cut);
            self.items.push(data);
            self.cut_hint = Some("the first result is longer than the budget".into());
            return true;
        }
        self.line(text);
        self.items.push(data);
        true
    }

    /// Adds a result's data only (its text is part of a block already
    /// shown).
    pub fn item_data(&mut self, _index: usize, data: Value) {
        self.items.push(data);
    }

    /// Results in all, and what to say instead of a cursor when the rest
    /// cannot be paged (e.g. "raise budget_tokens").
    pub fn total(&mut self, total: usize) {
        self.total = Some(total);
    }

    /// Records that the results stop at `index` although there were more
    /// (a page limit).
    pub fn more_from(&mut self, index: usize) {
        if self.next.is_none() {
            self.next = Some(index);
        }
    }

    /// How to get more when a cursor does not apply.
    pub fn cut_hint(&mut self, hint: impl Into<String>) {
        self.cut_hint = Some(hint.into());
    }

    /// The finished result: text (with the closing lines) and
    /// `structuredContent`.
    pub fn finish(mut self, index: &Completeness) -> CallToolResult {
        self.stage("render");
        let total_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let mut footer = String::new();
        if let Some(next) = self.next {
            let of = self.total.map(|t| format!(" of {t}")).unwrap_or_default();
            footer.push_str(&format!(
                "[cut at the token budget: showing {} result(s){of}; call again with cursor=\"@{next}\" for the rest, or raise budget_tokens]\n",
                self.items.len()
            ));
        } else if let Some(hint) = &self.cut_hint {
            footer.push_str(&format!("[cut: {hint}]\n"));
        }
        let stages: Vec<String> = self
            .stages
            .iter()
            .map(|(k, v)| format!("{k} {v:.1}"))
            .collect();
        let body_tokens = self.used;
        let cost_line = format!(
            "[{} ms ({}); ~{} tokens; index: {}]",
            fmt_ms(total_ms),
            stages.join(", "),
            body_tokens + tokens(&footer) + 12,
            index.summary()
        );
        footer.push_str(&cost_line);
        let returned = body_tokens + tokens(&footer);
        self.text.push_str(&footer);
        let mut data = self.data;
        data.insert("items".into(), Value::Array(self.items));
        data.insert(
            "truncated".into(),
            Value::Bool(self.next.is_some() || self.cut_hint.is_some()),
        );
        data.insert(
            "next_cursor".into(),
            self.next
                .map_or(Value::Null, |n| Value::String(format!("@{n}"))),
        );
        if let Some(t) = self.total {
            data.insert("total".into(), json!(t));
        }
        let stage_map: Map<String, Value> = self
            .stages
            .iter()
            .map(|(k, v)| (k.clone(), json!((v * 1000.0).round() / 1000.0)))
            .collect();
        data.insert(
            "cost".into(),
            json!({
                "ms": (total_ms * 1000.0).round() / 1000.0,
                "stages_ms": stage_map,
                "tokens": returned,
                "budget_tokens": self.budget + FOOTER_TOKENS,
            }),
        );
        data.insert(
            "index".into(),
            json!({ "summary": index.summary(), "detail": index }),
        );
        let mut result = CallToolResult::success(vec![ContentBlock::text(self.text)]);
        result.structured_content = Some(Value::Object(data));
        result
    }
}

/// The head of `text` within `max` tokens (whole lines, then a part of
/// the next line).
pub fn cut_to_tokens(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for line in text.lines() {
        let t = codegraph::line_tokens(line);
        if used + t > max {
            let room = max.saturating_sub(used + 1) * 4;
            let mut end = room.min(line.len());
            while !line.is_char_boundary(end) {
                end -= 1;
            }
            out.push_str(&line[..end]);
            return out;
        }
        used += t;
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn fmt_ms(ms: f64) -> String {
    if ms < 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.0}")
    }
}

/// A tool error a model can act on.
pub fn error(message: impl Into<String>) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(message.into())])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{Completeness, IndexState};

    fn ready() -> Completeness {
        Completeness {
            state: IndexState::Ready,
            indexed_before: true,
            indexed_now: true,
            phase: None,
            files_done: 0,
            files_total: 0,
            updates: 1,
            error: None,
        }
    }

    fn text_of(r: &CallToolResult) -> String {
        r.content[0].as_text().unwrap().text.clone()
    }

    #[test]
    fn budgets_are_validated_with_the_range() {
        assert_eq!(budget(None, 2000), Ok(2000));
        assert_eq!(budget(Some(500), 2000), Ok(500));
        let e = budget(Some(5), 2000).unwrap_err();
        assert!(e.contains("from 128 to 32000"), "{e}");
        assert!(budget(Some(1_000_000), 2000).is_err());
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_say_what_to_do() {
        assert_eq!(cursor(None), Ok(0));
        assert_eq!(cursor(Some("@25")), Ok(25));
        for bad in ["25", "@x", "@-1", "@99999999999999999999", ""] {
            let e = cursor(Some(bad)).unwrap_err();
            assert!(e.contains("next_cursor"), "{bad}: {e}");
        }
        assert!(check_offset(0, 0).is_ok());
        assert!(check_offset(3, 4).is_ok());
        let e = check_offset(4, 4).unwrap_err();
        assert!(e.contains("4 results"), "{e}");
    }

    #[test]
    fn text_arguments_are_bounded() {
        assert_eq!(text_arg("name", "  foo ", 10), Ok("foo"));
        assert!(text_arg("name", "   ", 10).unwrap_err().contains("empty"));
        let big = "x".repeat(11);
        assert!(
            text_arg("name", &big, 10)
                .unwrap_err()
                .contains("limit is 10")
        );
    }

    #[test]
    fn the_budget_holds_and_the_rest_is_paged() {
        let budget = 200;
        let mut a = Answer::new(budget);
        a.line("header");
        let line = "x".repeat(100); // 26 tokens
        let mut shown = 0;
        for i in 0..50 {
            if !a.item(i, &line, json!(i)) {
                break;
            }
            shown += 1;
        }
        a.total(50);
        assert!(shown > 0 && shown < 50);
        let r = a.finish(&ready());
        let text = text_of(&r);
        assert!(
            tokens(&text) <= budget,
            "{} > {budget}\n{text}",
            tokens(&text)
        );
        assert!(text.contains(&format!("cursor=\"@{shown}\"")), "{text}");
        let data = r.structured_content.unwrap();
        assert_eq!(data["items"].as_array().unwrap().len(), shown);
        assert_eq!(data["next_cursor"], json!(format!("@{shown}")));
        assert_eq!(data["truncated"], json!(true));
        assert!(data["cost"]["tokens"].as_u64().unwrap() as usize <= budget);
        assert!(data["cost"]["stages_ms"]["render"].is_number());
    }

    #[test]
    fn a_first_item_larger_than_the_budget_is_cut_to_it() {
        let budget = MIN_BUDGET as usize;
        let mut a = Answer::new(budget);
        let huge = "y".repeat(4000);
        assert!(a.item(0, &huge, json!(0)));
        assert!(!a.item(1, "small", json!(1)));
        let r = a.finish(&ready());
        let text = text_of(&r);
        assert!(
            tokens(&text) <= budget,
            "{} > {budget}\n{text}",
            tokens(&text)
        );
        assert!(text.contains("raise budget_tokens"), "{text}");
        assert_eq!(r.structured_content.unwrap()["next_cursor"], json!("@1"));
    }
}
