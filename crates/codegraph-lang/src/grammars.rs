//! The grammar table: one row per tree-sitter grammar crate. The `grammar`
//! field of a `languages.toml` row names a key here.

use tree_sitter::Language;

pub(crate) fn grammar(key: &str) -> Option<Language> {
    let language = match key {
        "c" => tree_sitter_c::LANGUAGE,
        "cpp" => tree_sitter_cpp::LANGUAGE,
        "go" => tree_sitter_go::LANGUAGE,
        "java" => tree_sitter_java::LANGUAGE,
        "javascript" => tree_sitter_javascript::LANGUAGE,
        "python" => tree_sitter_python::LANGUAGE,
        "rust" => tree_sitter_rust::LANGUAGE,
        "tsx" => tree_sitter_typescript::LANGUAGE_TSX,
        "typescript" => tree_sitter_typescript::LANGUAGE_TYPESCRIPT,
        _ => return None,
    };
    Some(language.into())
}
