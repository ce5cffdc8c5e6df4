use super::*;

pub(crate) fn find_symbol(
    reader: &Reader,
    index: &Completeness,
    a: FindSymbolArgs,
) -> Result<CallToolResult, String> {
    let name = text_arg("name", &a.name, MAX_NAME_BYTES)?;
    let kind = parse_def_kind(a.kind.as_deref())?;
    let budget = budget(a.budget_tokens, 2000)?;
    let offset = cursor(a.cursor.as_deref())?;
    let mut ans = Answer::new(budget);
    let defs: Vec<_> = reader
        .find_definitions(name)
        .map_err(lib_err)?
        .into_iter()
        .filter(|d| kind.is_none_or(|k| d.kind == k))
        .collect();
    ans.stage("lookup");
    ans.total(defs.len());
    if defs.is_empty() {
        ans.line(&format!(
            "no definition matches `{name}`; try the bare name, another spelling, or search_code"
        ));
    }
    for (i, d) in page(&defs, offset)?.iter().enumerate() {
        let mut text = format!(
            "{}:{}-{} {} {}\n    {}",
            d.path,
            d.start_line,
            d.end_line,
            d.kind,
            d.qualified_name,
            first_line(&d.signature)
        );
        if let Some(doc) = &d.doc {
            for l in doc.lines().filter(|l| !l.trim().is_empty()).take(3) {
                text.push_str("\n    # ");
                text.push_str(l.trim());
            }
        }
        if !ans.item(
            offset + i,
            &text,
            serde_json::to_value(d).unwrap_or_default(),
        ) {
            break;
        }
    }
    Ok(ans.finish(index))
}

pub(crate) fn file_outline(
    reader: &Reader,
    index: &Completeness,
    a: FileOutlineArgs,
) -> Result<CallToolResult, String> {
    let path = text_arg("path", &a.path, MAX_NAME_BYTES)?;
    let budget = budget(a.budget_tokens, 2000)?;
    let offset = cursor(a.cursor.as_deref())?;
    let rel = reader.relative_path(path).map_err(lib_err)?;
    let defs = reader.symbols_in_file(&rel).map_err(lib_err)?;
    let mut ans = Answer::new(budget);
    ans.stage("lookup");
    ans.set("path", json!(rel));
    ans.total(defs.len());
    ans.line(&format!("{rel} ({} definitions)", defs.len()));
    let depth_of = |d: &codegraph::DefinitionRow| {
        let mut depth = 0;
        let mut parent = d.parent.clone();
        while let Some(p) = parent {
            depth += 1;
            parent = defs
                .iter()
                .find(|x| x.qualified_name == p)
                .and_then(|x| x.parent.clone());
            if depth > 16 {
                break;
            }
        }
        depth
    };
    for (i, d) in page(&defs, offset)?.iter().enumerate() {
        let text = format!(
            "{:>5}  {}{}",
            d.start_line,
            "  ".repeat(depth_of(d)),
            first_line(&d.signature)
        );
        let data = json!({"line": d.start_line, "end_line": d.end_line, "kind": d.kind,
            "qualified_name": d.qualified_name, "signature": d.signature, "parent": d.parent});
        if !ans.item(offset + i, &text, data) {
            break;
        }
    }
    Ok(ans.finish(index))
}

pub(crate) fn symbol_outline(
    reader: &Reader,
    index: &Completeness,
    a: SymbolOutlineArgs,
) -> Result<CallToolResult, String> {
    let name = text_arg("symbol", &a.symbol, MAX_NAME_BYTES)?;
    let budget = budget(a.budget_tokens, 2000)?;
    let offset = cursor(a.cursor.as_deref())?;
    let symbol = reader.resolve_symbol(name).map_err(lib_err)?;
    let defs = reader.symbols_in_file(&symbol.path).map_err(lib_err)?;
    let mut ans = Answer::new(budget);
    ans.stage("lookup");
    let Some(target) = defs.iter().find(|d| d.id == symbol.id) else {
        return Err(format!("`{name}` is not in the index any more; call again"));
    };
    // Members: definitions nested (at any depth) in the target.
    let prefix_dot = format!("{}.", target.qualified_name);
    let prefix_colons = format!("{}::", target.qualified_name);
    let members: Vec<&codegraph::DefinitionRow> = defs
        .iter()
        .filter(|d| {
            d.id != target.id
                && d.parent.as_deref().is_some_and(|p| {
                    p == target.qualified_name
                        || p.starts_with(&prefix_dot)
                        || p.starts_with(&prefix_colons)
                })
        })
        .collect();
    ans.set("symbol", serde_json::to_value(target).unwrap_or_default());
    ans.total(members.len());
    let mut head = format!(
        "{}:{}-{} {} {}\n{}",
        target.path,
        target.start_line,
        target.end_line,
        target.kind,
        target.qualified_name,
        target.signature
    );
    if let Some(doc) = &target.doc {
        for l in doc.lines().take(6) {
            head.push_str("\n  # ");
            head.push_str(l.trim());
        }
    }
    ans.line(&head);
    if members.is_empty() {
        ans.line("(no members)");
    }
    for (i, d) in page(&members, offset)?.iter().enumerate() {
        let depth = if d.parent.as_deref() == Some(target.qualified_name.as_str()) {
            1
        } else {
            2
        };
        let text = format!(
            "{:>5}  {}{}",
            d.start_line,
            "  ".repeat(depth),
            first_line(&d.signature)
        );
        let data = json!({"line": d.start_line, "end_line": d.end_line, "kind": d.kind,
            "qualified_name": d.qualified_name, "signature": d.signature});
        if !ans.item(offset + i, &text, data) {
            break;
        }
    }
    Ok(ans.finish(index))
}

pub(crate) fn read_code(
    reader: &Reader,
    index: &Completeness,
    a: ReadCodeArgs,
) -> Result<CallToolResult, String> {
    let budget = budget(a.budget_tokens, 4000)?;
    let (path, start, end, symbol) = match (&a.symbol, &a.path) {
        (Some(s), None) => {
            if a.start_line.is_some() || a.end_line.is_some() {
                return Err(
                    "start_line and end_line go with path, not symbol; give one of them".into(),
                );
            }
            let s = reader
                .resolve_symbol(text_arg("symbol", s, MAX_NAME_BYTES)?)
                .map_err(lib_err)?;
            (s.path.clone(), s.line, s.end_line, Some(s.qualified_name))
        }
        (None, Some(p)) => {
            let p = text_arg("path", p, MAX_NAME_BYTES)?.to_owned();
            let start = a.start_line.unwrap_or(1);
            if start == 0 {
                return Err("start_line is 1-based; pass 1 or more".into());
            }
            let end = a.end_line.unwrap_or(start.saturating_add(199));
            if end < start {
                return Err(format!(
                    "end_line {end} is before start_line {start}; pass end_line >= start_line"
                ));
            }
            (p, start, end, None)
        }
        (Some(_), Some(_)) => return Err("give either symbol or path, not both".into()),
        (None, None) => return Err(
            "give symbol (a definition) or path (a file, with optional start_line and end_line)"
                .into(),
        ),
    };
    let lines = reader
        .source_lines(&path, start, end, MAX_READ_LINES)
        .map_err(lib_err)?;
    let mut ans = Answer::new(budget);
    ans.stage("read");
    ans.set("path", json!(lines.path));
    ans.set("symbol", json!(symbol));
    ans.set("total_lines", json!(lines.total_lines));
    ans.line(&format!(
        "{}:{}-{} ({} lines in the file){}",
        lines.path,
        lines.start_line,
        lines.end_line,
        lines.total_lines,
        symbol
            .as_deref()
            .map(|s| format!(" {s}"))
            .unwrap_or_default()
    ));
    let mut last = lines.start_line.saturating_sub(1);
    for (i, l) in lines.text.lines().enumerate() {
        let n = lines.start_line + i as u32;
        let text = format!("{n:>5}  {l}");
        if !ans.fits(&text) {
            break;
        }
        ans.line(&text);
        last = n;
    }
    ans.set("start_line", json!(lines.start_line));
    ans.set("end_line", json!(last));
    ans.set(
        "text",
        json!(
            lines
                .text
                .lines()
                .take((last + 1).saturating_sub(lines.start_line) as usize)
                .collect::<Vec<_>>()
                .join("\n")
        ),
    );
    let wanted_end = end.min(lines.total_lines);
    if last < wanted_end {
        ans.cut_hint(format!(
            "lines {}-{} left out; call read_code with path=\"{}\" start_line={} for the rest",
            last + 1,
            wanted_end,
            lines.path,
            last + 1
        ));
    }
    Ok(ans.finish(index))
}
