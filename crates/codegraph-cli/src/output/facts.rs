//! `symbols FILE --json`: what the parser extracts from one file. Indexes
//! (`parent`, `enclosing`, `def`, ...) point into this file's
//! `definitions`.

use super::list;
use codegraph::FileFacts;
use codegraph::core::{
    Binding, Call, Chunk, Definition, Diagnostic as FactDiagnostic, Import, Inheritance, Span,
};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct FactsJson {
    language: String,
    line_count: u32,
    doc: Option<String>,
    package: Option<String>,
    definitions: Vec<FactDefinitionJson>,
    imports: Vec<ImportJson>,
    calls: Vec<CallJson>,
    inheritance: Vec<InheritanceJson>,
    bindings: Vec<BindingJson>,
    chunks: Vec<ChunkJson>,
    diagnostics: Vec<FactDiagnosticJson>,
}

impl From<FileFacts> for FactsJson {
    fn from(f: FileFacts) -> Self {
        FactsJson {
            language: f.language,
            line_count: f.line_count,
            doc: f.doc,
            package: f.package,
            definitions: list(f.definitions),
            imports: list(f.imports),
            calls: list(f.calls),
            inheritance: list(f.inheritance),
            bindings: list(f.bindings),
            chunks: list(f.chunks),
            diagnostics: list(f.diagnostics),
        }
    }
}

/// Lines 1-based and inclusive; bytes 0-based and half-open.
#[derive(Debug, Serialize)]
struct SpanJson {
    start_byte: u32,
    end_byte: u32,
    start_line: u32,
    end_line: u32,
}

impl From<Span> for SpanJson {
    fn from(s: Span) -> Self {
        SpanJson {
            start_byte: s.start_byte,
            end_byte: s.end_byte,
            start_line: s.start_line,
            end_line: s.end_line,
        }
    }
}

#[derive(Debug, Serialize)]
struct FactDefinitionJson {
    name: String,
    qualified_name: String,
    kind: &'static str,
    signature: String,
    doc: Option<String>,
    span: SpanJson,
    parent: Option<usize>,
}

impl From<Definition> for FactDefinitionJson {
    fn from(d: Definition) -> Self {
        FactDefinitionJson {
            name: d.name,
            qualified_name: d.qualified_name,
            kind: d.kind.as_str(),
            signature: d.signature,
            doc: d.doc,
            span: SpanJson::from(d.span),
            parent: d.parent,
        }
    }
}

#[derive(Debug, Serialize)]
struct ImportJson {
    module: String,
    name: Option<String>,
    alias: Option<String>,
    wildcard: bool,
    line: u32,
}

impl From<Import> for ImportJson {
    fn from(i: Import) -> Self {
        ImportJson {
            module: i.module,
            name: i.name,
            alias: i.alias,
            wildcard: i.wildcard,
            line: i.line,
        }
    }
}

#[derive(Debug, Serialize)]
struct CallJson {
    name: String,
    receiver: Option<String>,
    line: u32,
    column: u32,
    enclosing: Option<usize>,
}

impl From<Call> for CallJson {
    fn from(c: Call) -> Self {
        CallJson {
            name: c.name,
            receiver: c.receiver,
            line: c.line,
            column: c.column,
            enclosing: c.enclosing,
        }
    }
}

#[derive(Debug, Serialize)]
struct InheritanceJson {
    subject: String,
    subject_def: Option<usize>,
    base: String,
    /// `extends` or `implements`.
    relation: &'static str,
    line: u32,
}

impl From<Inheritance> for InheritanceJson {
    fn from(i: Inheritance) -> Self {
        InheritanceJson {
            subject: i.subject,
            subject_def: i.subject_def,
            base: i.base,
            relation: i.relation.as_str(),
            line: i.line,
        }
    }
}

#[derive(Debug, Serialize)]
struct BindingJson {
    name: String,
    type_name: Option<String>,
    value: Option<String>,
    scope: Option<usize>,
    line: u32,
}

impl From<Binding> for BindingJson {
    fn from(b: Binding) -> Self {
        BindingJson {
            name: b.name,
            type_name: b.type_name,
            value: b.value,
            scope: b.scope,
            line: b.line,
        }
    }
}

#[derive(Debug, Serialize)]
struct ChunkJson {
    kind: &'static str,
    span: SpanJson,
    def: Option<usize>,
    part: u32,
    text: String,
}

impl From<Chunk> for ChunkJson {
    fn from(c: Chunk) -> Self {
        ChunkJson {
            kind: c.kind.as_str(),
            span: SpanJson::from(c.span),
            def: c.def,
            part: c.part,
            text: c.text,
        }
    }
}

#[derive(Debug, Serialize)]
struct FactDiagnosticJson {
    line: u32,
    message: String,
}

impl From<FactDiagnostic> for FactDiagnosticJson {
    fn from(d: FactDiagnostic) -> Self {
        FactDiagnosticJson {
            line: d.line,
            message: d.message,
        }
    }
}
