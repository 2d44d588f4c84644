//! Code blocks' tokens as classes (`hl-keyword`, `hl-string`, …) for the stylesheet to
//! colour: syntect reads the code with Sublime Text's grammars (pure-Rust regexes). Writes
//! escaped text and `<span class="hl-…">` around it, never a style; markdown.rs sanitises.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::LazyLock;

use syntect::easy::ScopeRegionIterator;
use syntect::highlighting::ScopeSelectors;
use syntect::parsing::{ParseState, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Highlighting costs 2 to 10 µs a byte of code (syntect's regexes; release build, 2-core
/// VM), and every stored answer is rendered again when the renderer changes. A block past
/// either of the first two limits stays plain, and so do the blocks past an answer's budget.
const MAX_BLOCK_BYTES: usize = 100 * 1024;
const MAX_BLOCK_LINES: usize = 5_000;
const MAX_ANSWER_BYTES: usize = 200 * 1024;

/// The classes written, each with the scopes it stands for (scope selectors, as a colour
/// theme names them). A run of text takes the class whose selector matches best, as in a
/// theme: the innermost scope wins, then the longer selector (`constant.numeric` over
/// `constant`, `punctuation.definition.string` over `punctuation`). One class per run keeps
/// the stored HTML small; the grammars' own scope names would make it ten times the code.
const TOKENS: [(&str, &str); 12] = [
    ("hl-comment", "comment, punctuation.definition.comment"),
    (
        "hl-string",
        "string, constant.character, punctuation.definition.string, markup.raw",
    ),
    // Operators too, as GitHub colours them: `and`, `not`, `as` are operators in some grammars.
    ("hl-keyword", "keyword, storage, markup.heading"),
    ("hl-number", "constant.numeric"),
    (
        "hl-constant",
        "constant, support.constant, variable.language, constant.character.escape, \
         constant.character.entity",
    ),
    (
        "hl-function",
        "entity.name.function, support.function, variable.function, support.macro, \
         meta.diff.range, meta.diff.header",
    ),
    (
        "hl-type",
        "entity.name, support.type, support.class, entity.other.inherited-class",
    ),
    ("hl-punctuation", "punctuation"),
    ("hl-tag", "entity.name.tag, punctuation.definition.tag"),
    (
        "hl-attribute",
        "entity.other.attribute-name, support.type.property-name, entity.name.label, \
         meta.mapping.key string",
    ),
    (
        "hl-inserted",
        "markup.inserted, markup.inserted punctuation",
    ),
    ("hl-deleted", "markup.deleted, markup.deleted punctuation"),
];

/// Fence languages (lower case) and the grammar each names. The bundled grammars have no
/// TypeScript: JavaScript's gets its strings, comments, numbers and most keywords right and
/// recovers after a type annotation.
const LANGUAGES: [(&str, &str); 67] = [
    ("rust", "Rust"),
    ("rs", "Rust"),
    ("python", "Python"),
    ("py", "Python"),
    ("python3", "Python"),
    ("javascript", "JavaScript"),
    ("js", "JavaScript"),
    ("jsx", "JavaScript"),
    ("mjs", "JavaScript"),
    ("typescript", "JavaScript"),
    ("ts", "JavaScript"),
    ("tsx", "JavaScript"),
    ("json", "JSON"),
    ("bash", "Bourne Again Shell (bash)"),
    ("sh", "Bourne Again Shell (bash)"),
    ("shell", "Bourne Again Shell (bash)"),
    ("zsh", "Bourne Again Shell (bash)"),
    ("html", "HTML"),
    ("xml", "XML"),
    ("svg", "XML"),
    ("css", "CSS"),
    ("c", "C"),
    ("h", "C"),
    ("cpp", "C++"),
    ("c++", "C++"),
    ("cxx", "C++"),
    ("cc", "C++"),
    ("hpp", "C++"),
    ("csharp", "C#"),
    ("cs", "C#"),
    ("c#", "C#"),
    ("java", "Java"),
    ("go", "Go"),
    ("golang", "Go"),
    ("sql", "SQL"),
    ("yaml", "YAML"),
    ("yml", "YAML"),
    ("markdown", "Markdown"),
    ("md", "Markdown"),
    ("ruby", "Ruby"),
    ("rb", "Ruby"),
    ("php", "PHP"),
    ("lua", "Lua"),
    ("perl", "Perl"),
    ("haskell", "Haskell"),
    ("hs", "Haskell"),
    ("scala", "Scala"),
    ("diff", "Diff"),
    ("patch", "Diff"),
    ("makefile", "Makefile"),
    ("make", "Makefile"),
    ("r", "R"),
    ("latex", "LaTeX"),
    ("tex", "LaTeX"),
    ("objc", "Objective-C"),
    ("objective-c", "Objective-C"),
    ("clojure", "Clojure"),
    ("erlang", "Erlang"),
    ("ocaml", "OCaml"),
    ("groovy", "Groovy"),
    ("matlab", "MATLAB"),
    ("bat", "Batch File"),
    ("batch", "Batch File"),
    ("lisp", "Lisp"),
    ("d", "D"),
    ("pascal", "Pascal"),
    ("dot", "Graphviz (DOT)"),
];

/// Read on the first code block, not at start-up (the grammars are compiled on first use).
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);
static SELECTORS: LazyLock<Vec<(&str, ScopeSelectors)>> = LazyLock::new(|| {
    TOKENS
        .iter()
        .filter_map(|&(class, selectors)| Some((class, selectors.parse().ok()?)))
        .collect()
});

/// The classes `Highlighter::highlight` may write (for the sanitiser's allow-list).
pub(crate) fn classes() -> impl Iterator<Item = &'static str> {
    TOKENS.iter().map(|&(class, _)| class)
}

/// The fence languages highlighted (as written in the fence, lower case).
pub(crate) fn languages() -> impl Iterator<Item = &'static str> {
    LANGUAGES.iter().map(|&(language, _)| language)
}

/// Highlights one answer's code blocks, within its budget.
pub(crate) struct Highlighter {
    budget: usize,
}

impl Highlighter {
    pub(crate) fn new() -> Self {
        Highlighter {
            budget: MAX_ANSWER_BYTES,
        }
    }

    /// The code as escaped HTML with its tokens in classed spans, or `None` for a language
    /// without a grammar, a block past the limits, or one the grammar fails on: the caller
    /// writes it plain. The text content is the code, unchanged.
    pub(crate) fn highlight(&mut self, language: &str, code: &str) -> Option<String> {
        let &(_, syntax) = LANGUAGES
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(language))?;
        if code.len() > MAX_BLOCK_BYTES.min(self.budget) || code.lines().count() > MAX_BLOCK_LINES {
            return None;
        }
        self.budget -= code.len();
        // A grammar's bug (syntect has had panics on odd input) costs the colours, not the
        // answer.
        catch_unwind(AssertUnwindSafe(|| spans(syntax, code))).ok()?
    }
}

fn spans(syntax: &str, code: &str) -> Option<String> {
    let syntaxes = &*SYNTAXES;
    let mut parser = ParseState::new(syntaxes.find_syntax_by_name(syntax)?);
    let mut stack = ScopeStack::new();
    let mut out = Html::with_capacity(code.len() * 2);
    for line in LinesWithEndings::from(code) {
        let ops = parser.parse_line(line, syntaxes).ok()?;
        for (text, op) in ScopeRegionIterator::new(&ops, line) {
            stack.apply(op).ok()?;
            if !text.is_empty() {
                out.push(token_class(&stack), text);
            }
        }
    }
    Some(out.finish())
}

/// The class whose selectors match the scope stack best, if any does.
fn token_class(stack: &ScopeStack) -> Option<&'static str> {
    SELECTORS
        .iter()
        .filter_map(|(class, selectors)| Some((*class, selectors.does_match(stack.as_slice())?)))
        .max_by(|a, b| a.1.cmp(&b.1))
        .map(|(class, _)| class)
}

/// Spans written flat, one per run of text of the same class; unclassed text bare.
struct Html {
    out: String,
    open: Option<&'static str>,
}

impl Html {
    fn with_capacity(capacity: usize) -> Self {
        Html {
            out: String::with_capacity(capacity),
            open: None,
        }
    }

    fn push(&mut self, class: Option<&'static str>, text: &str) {
        // Blank text shows no colour: it joins the span open, which may then go on.
        let class = if text.trim().is_empty() {
            self.open
        } else {
            class
        };
        if class != self.open {
            if self.open.is_some() {
                self.out.push_str("</span>");
            }
            if let Some(class) = class {
                self.out.push_str("<span class=\"");
                self.out.push_str(class);
                self.out.push_str("\">");
            }
            self.open = class;
        }
        for c in text.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                '"' => self.out.push_str("&quot;"),
                c => self.out.push(c),
            }
        }
    }

    fn finish(mut self) -> String {
        if self.open.is_some() {
            self.out.push_str("</span>");
        }
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_selector_parses_and_every_language_has_its_grammar() {
        assert_eq!(SELECTORS.len(), TOKENS.len());
        for (language, syntax) in LANGUAGES {
            assert!(
                SYNTAXES.find_syntax_by_name(syntax).is_some(),
                "{language}: no grammar named {syntax}"
            );
        }
    }

    #[test]
    fn an_answer_highlights_no_more_than_its_budget() {
        let mut h = Highlighter { budget: 25 };
        let block = "fn a() {}\n"; // 10 bytes
        assert!(h.highlight("rust", block).is_some());
        assert!(h.highlight("rust", block).is_some());
        assert_eq!(h.highlight("rust", block), None, "past the budget");
        assert!(
            h.highlight("rust", "x\n").is_some(),
            "a smaller block still fits"
        );
        // What is not highlighted costs nothing.
        let mut h = Highlighter { budget: 10 };
        assert_eq!(h.highlight("cobol", block), None);
        assert!(h.highlight("rust", block).is_some());
    }

    #[test]
    fn blank_text_joins_the_span_before_it() {
        let html = Highlighter::new().highlight("rust", "let mut x = 1;\n");
        assert_eq!(
            html.as_deref(),
            Some(
                "<span class=\"hl-keyword\">let mut</span> x <span class=\"hl-keyword\">= \
                 </span><span class=\"hl-number\">1</span><span class=\"hl-punctuation\">;\n\
                 </span>"
            )
        );
    }

    /// A class without a colour in either scheme would be written for nothing.
    #[test]
    fn the_stylesheet_colours_every_class_in_both_schemes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/styles.css");
        let css = std::fs::read_to_string(path).expect("ui/styles.css");
        let dark = css
            .find(":root[data-scheme=\"dark\"] {\n  --hl-")
            .expect("the dark scheme's token colours");
        let (light, dark) = css.split_at(dark);
        for class in classes() {
            let var = format!("--{class}: #");
            assert!(light.contains(&var), "no light {var}");
            assert!(dark.contains(&var), "no dark {var}");
            let rule = format!(".message-text pre .{class} {{ color: var(--{class});");
            assert!(css.contains(&rule), "no rule {rule}");
        }
    }
}
