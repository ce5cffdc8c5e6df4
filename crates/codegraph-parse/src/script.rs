//! Single-file components (Vue, Svelte): the `<script>` blocks are parsed
//! with a script language's grammar, the markup and styles are chunked as
//! text.

use crate::chunk;
use crate::extract;
use codegraph_core::FileFacts;
use codegraph_lang::{Language, Registry};

/// A `<script ...>` element: its `lang` attribute and the byte range of
/// its content.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ScriptBlock {
    pub(crate) lang: Option<String>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The `<script>` elements of `text`, in order; a block without a closing
/// tag runs to the end.
pub(crate) fn script_blocks(text: &str) -> Vec<ScriptBlock> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = lower[at..].find("<script").map(|i| i + at) {
        let after_name = open + "<script".len();
        // `<scripts>` or `<script-x>` is another element.
        if !lower[after_name..].starts_with(|c: char| c == '>' || c.is_ascii_whitespace()) {
            at = after_name;
            continue;
        }
        let Some(tag_end) = lower[after_name..].find('>').map(|i| i + after_name) else {
            break;
        };
        let attributes = &text[after_name..tag_end];
        let start = tag_end + 1;
        if attributes.trim_end().ends_with('/') {
            at = start;
            continue;
        }
        let end = lower[start..]
            .find("</script")
            .map_or(text.len(), |i| i + start);
        out.push(ScriptBlock {
            lang: attribute(attributes, "lang"),
            start,
            end,
        });
        at = end;
    }
    out
}

/// The value of attribute `name` in a tag's attribute text.
fn attribute(attributes: &str, name: &str) -> Option<String> {
    let lower = attributes.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| i + from) {
        from = i + name.len();
        let before_ok = i == 0 || lower.as_bytes()[i - 1].is_ascii_whitespace();
        let rest = attributes[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value = rest[1..].trim_start();
        let value = match value.chars().next() {
            Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or(""),
            _ => value
                .split(|c: char| c.is_ascii_whitespace())
                .next()
                .unwrap_or(""),
        };
        return Some(value.trim().to_ascii_lowercase());
    }
    None
}

/// The language a block's `lang` names (an extension or a language name),
/// or the row's default.
fn block_language<'r>(
    registry: &'r Registry,
    component: &Language,
    lang: Option<&str>,
) -> Option<&'r Language> {
    let named = lang.and_then(|l| {
        registry
            .for_path(std::path::Path::new(&format!("x.{l}")))
            .or_else(|| registry.by_name(l))
    });
    named
        .or_else(|| {
            component
                .script_default
                .as_deref()
                .and_then(|d| registry.by_name(d))
        })
        .filter(|l| l.grammar().is_some())
}

/// Facts of a component: the scripts parsed in place (every byte outside
/// them blanked, so lines and offsets are the file's), the rest as text.
pub(crate) fn extract(
    component: &Language,
    path: &str,
    text: &str,
    facts: &mut FileFacts,
    stop: &dyn Fn() -> bool,
) -> Option<()> {
    let blocks = script_blocks(text);
    let registry = Registry::builtin();
    // One parse for all blocks: a block naming a language (`lang="ts"`)
    // decides, since TypeScript reads JavaScript too.
    let script = blocks.iter().find_map(|b| b.lang.as_deref()).map_or_else(
        || block_language(registry, component, None),
        |l| block_language(registry, component, Some(l)),
    );
    let mut script_lines = vec![false; crate::line_count(text) as usize + 2];
    if let (Some(script), false) = (script, blocks.is_empty()) {
        let mut blanked = vec![b' '; text.len()];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                blanked[i] = b'\n';
            }
        }
        for block in &blocks {
            blanked[block.start..block.end]
                .copy_from_slice(&text.as_bytes()[block.start..block.end]);
            let first =
                line_of(text, block.start) + usize::from(text[block.start..].starts_with('\n'));
            let last = line_of(text, block.end.saturating_sub(1).max(block.start));
            for l in first..=last.min(script_lines.len() - 1) {
                script_lines[l] = true;
            }
        }
        // Only whole characters were kept or blanked byte by byte: valid.
        let blanked = String::from_utf8(blanked).unwrap_or_default();
        extract::extract(script, path, &blanked, facts, stop)?;
    }
    // Markup and styles: windows over the lines outside the scripts.
    let mut line = 1;
    let n = crate::line_count(text);
    while line <= n {
        if script_lines[line as usize] {
            line += 1;
            continue;
        }
        let start = line;
        while line <= n && !script_lines[line as usize] {
            line += 1;
        }
        chunk::windows_over(text, start, line - 1, &mut facts.chunks);
    }
    facts
        .chunks
        .sort_by_key(|c| (c.span.start_line, c.span.end_line, c.part));
    Some(())
}

/// 1-based line of a byte offset.
fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()[..byte.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use codegraph_core::ChunkKind;

    #[test]
    fn finds_script_blocks_and_their_lang() {
        let text = "<template><div/></template>\n<script setup lang=\"ts\">\nlet a = 1\n</script>\n<script>x()</script><scripts>";
        let blocks = script_blocks(text);
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].lang.as_deref(), Some("ts"));
        assert_eq!(&text[blocks[0].start..blocks[0].end], "\nlet a = 1\n");
        assert_eq!(blocks[1].lang, None);
        assert_eq!(&text[blocks[1].start..blocks[1].end], "x()");
        assert!(script_blocks("<script src=\"a.js\" />").is_empty());
    }

    #[test]
    fn a_vue_component_is_parsed_as_typescript_with_its_template_as_text() {
        let vue = Registry::builtin().by_name("vue").unwrap();
        let text = "<template>\n  <button @click=\"save\">Save</button>\n</template>\n\n<script lang=\"ts\">\nimport { store } from './store'\n\n/** Saves the cart. */\nexport function save(id: number): void {\n  store.put(id)\n}\n</script>\n\n<style>\nbutton { color: red }\n</style>\n";
        let facts = crate::parse_file(vue, "src/Cart.vue", text);
        assert_eq!(facts.language, "vue");
        let save = &facts.definitions[0];
        assert_eq!(save.qualified_name, "src/Cart.save");
        assert_eq!(save.span.start_line, 9);
        assert_eq!(save.doc.as_deref(), Some("Saves the cart."));
        assert_eq!(facts.imports[0].module, "./store");
        assert_eq!(facts.calls[0].name, "put");
        let kinds: Vec<(ChunkKind, u32)> = facts
            .chunks
            .iter()
            .map(|c| (c.kind, c.span.start_line))
            .collect();
        assert!(kinds.contains(&(ChunkKind::Text, 1)), "{kinds:?}");
        assert!(kinds.contains(&(ChunkKind::Function, 8)), "{kinds:?}");
        assert!(
            kinds.iter().any(|&(k, l)| k == ChunkKind::Text && l >= 12),
            "{kinds:?}"
        );
    }

    #[test]
    fn a_svelte_component_without_lang_is_javascript() {
        let svelte = Registry::builtin().by_name("svelte").unwrap();
        let text = "<script>\n  import Row from './Row.svelte';\n  export let items = [];\n  function add(x) { items = [...items, x]; render(x); }\n</script>\n\n{#each items as item}<Row {item}/>{/each}\n";
        let facts = crate::parse_file(svelte, "src/List.svelte", text);
        assert!(
            facts.definitions.iter().any(|d| d.name == "add"),
            "{:?}",
            facts.definitions
        );
        assert_eq!(facts.imports[0].module, "./Row.svelte");
        assert!(facts.calls.iter().any(|c| c.name == "render"));
        assert!(
            facts
                .chunks
                .iter()
                .any(|c| c.kind == ChunkKind::Text && c.text.contains("#each"))
        );
    }
}
