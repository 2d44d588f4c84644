//! Code blocks' tokens as classes (`hl-keyword`, `hl-string`, …) for the stylesheet to
//! colour. A small lexer reads each language from a table (its comments, quotes, keywords,
//! constants and conventions), with a few shapes of their own: markup (HTML, XML, SVG, with
//! the scripts and styles inside), CSS, diffs, Markdown, LaTeX, Makefiles, key–value files
//! (YAML, TOML, INI) and Lisps. Writes escaped text and `<span class="hl-…">` around it,
//! never a style; markdown.rs sanitises.
//!
//! It replaced syntect (Sublime Text's grammars), which gave finer tokens at a cost: 1.7 MB
//! of the binary (the grammars and two regex engines) and 2 to 10 µs a byte; this one reads
//! the code in one pass, without backtracking.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Stored answers are rendered again when the renderer changes, so a block past either of
/// the first two limits stays plain, and so do the blocks past an answer's budget.
const MAX_BLOCK_BYTES: usize = 100 * 1024;
const MAX_BLOCK_LINES: usize = 5_000;
const MAX_ANSWER_BYTES: usize = 200 * 1024;

/// What a run of code is, as the stylesheet colours it (`hl-…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Comment,
    String,
    /// Keywords, and operators (as GitHub colours them).
    Keyword,
    Number,
    /// Literals with a name (`true`, `None`), escapes in strings, entities, symbols.
    Constant,
    /// Names of functions where they are defined or called, macros, decorators.
    Function,
    /// Names of types where they are defined, and capitalised names where that is the
    /// convention.
    Type,
    Punctuation,
    Tag,
    Attribute,
    Inserted,
    Deleted,
}

const CLASSES: [(Class, &str); 12] = [
    (Class::Comment, "hl-comment"),
    (Class::String, "hl-string"),
    (Class::Keyword, "hl-keyword"),
    (Class::Number, "hl-number"),
    (Class::Constant, "hl-constant"),
    (Class::Function, "hl-function"),
    (Class::Type, "hl-type"),
    (Class::Punctuation, "hl-punctuation"),
    (Class::Tag, "hl-tag"),
    (Class::Attribute, "hl-attribute"),
    (Class::Inserted, "hl-inserted"),
    (Class::Deleted, "hl-deleted"),
];

impl Class {
    fn name(self) -> &'static str {
        CLASSES[self as usize].1
    }
}

/// The classes `Highlighter::highlight` may write (for the sanitiser's allow-list).
pub(crate) fn classes() -> impl Iterator<Item = &'static str> {
    CLASSES.iter().map(|&(_, class)| class)
}

/// The fence languages highlighted (as written in the fence, lower case).
pub(crate) fn languages() -> impl Iterator<Item = &'static str> {
    LANGUAGES.iter().map(|&(language, _)| language)
}

/// How a language is read.
#[derive(Clone, Copy)]
enum Shape {
    Code(&'static Lang),
    /// HTML, XML, SVG: tags, attributes, entities, comments; `<script>` and `<style>`
    /// read as JavaScript and CSS.
    Markup,
    Css,
    Diff,
    Markdown,
    Latex,
}

/// Fence languages (lower case) and how each is read.
const LANGUAGES: [(&str, Shape); 84] = [
    ("rust", Shape::Code(&RUST)),
    ("rs", Shape::Code(&RUST)),
    ("python", Shape::Code(&PYTHON)),
    ("py", Shape::Code(&PYTHON)),
    ("python3", Shape::Code(&PYTHON)),
    ("javascript", Shape::Code(&JAVASCRIPT)),
    ("js", Shape::Code(&JAVASCRIPT)),
    ("jsx", Shape::Code(&JAVASCRIPT)),
    ("mjs", Shape::Code(&JAVASCRIPT)),
    ("typescript", Shape::Code(&TYPESCRIPT)),
    ("ts", Shape::Code(&TYPESCRIPT)),
    ("tsx", Shape::Code(&TYPESCRIPT)),
    ("json", Shape::Code(&JSON)),
    ("jsonc", Shape::Code(&JSON)),
    ("bash", Shape::Code(&SHELL)),
    ("sh", Shape::Code(&SHELL)),
    ("shell", Shape::Code(&SHELL)),
    ("zsh", Shape::Code(&SHELL)),
    ("console", Shape::Code(&SHELL)),
    ("dockerfile", Shape::Code(&DOCKERFILE)),
    ("docker", Shape::Code(&DOCKERFILE)),
    ("powershell", Shape::Code(&POWERSHELL)),
    ("ps1", Shape::Code(&POWERSHELL)),
    ("html", Shape::Markup),
    ("xml", Shape::Markup),
    ("svg", Shape::Markup),
    ("vue", Shape::Markup),
    ("css", Shape::Css),
    ("scss", Shape::Css),
    ("less", Shape::Css),
    ("c", Shape::Code(&C)),
    ("h", Shape::Code(&C)),
    ("cpp", Shape::Code(&CPP)),
    ("c++", Shape::Code(&CPP)),
    ("cxx", Shape::Code(&CPP)),
    ("cc", Shape::Code(&CPP)),
    ("hpp", Shape::Code(&CPP)),
    ("objc", Shape::Code(&OBJC)),
    ("objective-c", Shape::Code(&OBJC)),
    ("csharp", Shape::Code(&CSHARP)),
    ("cs", Shape::Code(&CSHARP)),
    ("c#", Shape::Code(&CSHARP)),
    ("java", Shape::Code(&JAVA)),
    ("kotlin", Shape::Code(&KOTLIN)),
    ("kt", Shape::Code(&KOTLIN)),
    ("scala", Shape::Code(&SCALA)),
    ("groovy", Shape::Code(&GROOVY)),
    ("swift", Shape::Code(&SWIFT)),
    ("go", Shape::Code(&GO)),
    ("golang", Shape::Code(&GO)),
    ("d", Shape::Code(&D)),
    ("sql", Shape::Code(&SQL)),
    ("yaml", Shape::Code(&YAML)),
    ("yml", Shape::Code(&YAML)),
    ("toml", Shape::Code(&TOML)),
    ("ini", Shape::Code(&INI)),
    ("markdown", Shape::Markdown),
    ("md", Shape::Markdown),
    ("ruby", Shape::Code(&RUBY)),
    ("rb", Shape::Code(&RUBY)),
    ("php", Shape::Code(&PHP)),
    ("lua", Shape::Code(&LUA)),
    ("perl", Shape::Code(&PERL)),
    ("haskell", Shape::Code(&HASKELL)),
    ("hs", Shape::Code(&HASKELL)),
    ("diff", Shape::Diff),
    ("patch", Shape::Diff),
    ("makefile", Shape::Code(&MAKEFILE)),
    ("make", Shape::Code(&MAKEFILE)),
    ("r", Shape::Code(&R)),
    ("latex", Shape::Latex),
    ("tex", Shape::Latex),
    ("clojure", Shape::Code(&CLOJURE)),
    ("clj", Shape::Code(&CLOJURE)),
    ("lisp", Shape::Code(&LISP)),
    ("scheme", Shape::Code(&LISP)),
    ("erlang", Shape::Code(&ERLANG)),
    ("ocaml", Shape::Code(&OCAML)),
    ("matlab", Shape::Code(&MATLAB)),
    ("bat", Shape::Code(&BATCH)),
    ("batch", Shape::Code(&BATCH)),
    ("cmd", Shape::Code(&BATCH)),
    ("pascal", Shape::Code(&PASCAL)),
    ("dot", Shape::Code(&DOT)),
];

/// Whether `word` is one of the space-separated words of `list`.
fn listed(list: &str, word: &str, caseless: bool) -> bool {
    list.split_ascii_whitespace()
        .any(|w| w == word || (caseless && w.eq_ignore_ascii_case(word)))
}

/// A language read by the common lexer: what starts a comment or a string, which words
/// (space-separated) are keywords and named constants, and its conventions.
struct Lang {
    line_comments: &'static [&'static str],
    block_comments: &'static [(&'static str, &'static str)],
    /// Characters that open a string (closed by the same); those that may span lines.
    quotes: &'static [u8],
    multiline_quotes: &'static [u8],
    keywords: &'static str,
    constants: &'static str,
    /// Words after which the next name is a function's (`fn`, `def`) or a type's (`class`).
    fn_definers: &'static str,
    type_definers: &'static str,
    /// Keywords and constants in any case (SQL, Pascal, batch files).
    caseless: bool,
    /// Capitalised names are types (`String`, `HashMap`); all capitals are constants.
    capitalised_types: bool,
    /// `#include`, `#define` at the start of a line.
    preprocessor: bool,
    /// `@name` is a decorator or annotation.
    decorators: bool,
    /// `"""…"""` and `'''…'''`; `r"…"`, `f"…"`, `b"…"` prefixes.
    python_strings: bool,
    /// Rust: `'a` lifetimes, `name!` macros, `r#"…"#` raw strings.
    rust: bool,
    /// `#` opens a comment only at the start of a word (`$#` and `a#b` do not).
    comment_at_word: bool,
    /// `name:` or `name =` at the start of a line is a key (YAML, TOML, INI, JSON's
    /// `"name":` anywhere).
    keys: bool,
    /// `[section]` at the start of a line is a heading (TOML, INI).
    sections: bool,
    /// `(name …)`: the name after an opening parenthesis is the function called; `-`,
    /// `?`, `!`, `*` may be part of a name; `:key` is a constant.
    lisp: bool,
    /// `''` inside a `'…'` string is a quote, and `\` is not an escape (SQL, Pascal).
    doubled_quotes: bool,
    /// `$` may be part of a name (JavaScript, PHP's `$name`).
    dollar_names: bool,
    /// `name:` at the start of a line is a target (Makefiles); `$(name)` a variable.
    make: bool,
    /// `:name` is a symbol (Ruby).
    symbols: bool,
}

const BASE: Lang = Lang {
    line_comments: &[],
    block_comments: &[],
    quotes: b"\"'",
    multiline_quotes: b"",
    keywords: "",
    constants: "",
    fn_definers: "",
    type_definers: "",
    caseless: false,
    capitalised_types: false,
    preprocessor: false,
    decorators: false,
    python_strings: false,
    rust: false,
    comment_at_word: false,
    keys: false,
    sections: false,
    lisp: false,
    doubled_quotes: false,
    dollar_names: false,
    make: false,
    symbols: false,
};

const C_LIKE: Lang = Lang {
    line_comments: &["//"],
    block_comments: &[("/*", "*/")],
    capitalised_types: true,
    ..BASE
};

const C_KEYWORDS: &str =
    "auto break case char const continue default do double else enum extern float for goto \
    if inline int long register restrict return short signed sizeof static struct switch \
    typedef union unsigned void volatile while bool size_t int8_t int16_t int32_t int64_t \
    uint8_t uint16_t uint32_t uint64_t";

const C: Lang = Lang {
    keywords: C_KEYWORDS,
    constants: "NULL true false EOF stdin stdout stderr",
    type_definers: "struct enum union",
    preprocessor: true,
    capitalised_types: false,
    ..C_LIKE
};

const CPP: Lang = Lang {
    keywords: "auto break case char const continue default do double else enum extern float for \
        goto if inline int long register return short signed sizeof static struct switch \
        typedef union unsigned void volatile while bool class namespace template typename \
        public private protected virtual override final new delete this using try catch \
        throw noexcept constexpr consteval decltype explicit friend mutable operator \
        static_cast dynamic_cast reinterpret_cast const_cast co_await co_return co_yield \
        concept requires size_t",
    constants: "nullptr NULL true false",
    type_definers: "class struct enum union namespace concept",
    preprocessor: true,
    ..C_LIKE
};

const OBJC: Lang = Lang {
    keywords: "auto break case char const continue default do double else enum extern float for \
        goto if inline int long return short signed sizeof static struct switch typedef \
        union unsigned void volatile while id self super @interface @implementation @end \
        @property @protocol @class @selector @synthesize @autoreleasepool instancetype \
        BOOL nonatomic strong weak readonly copy assign",
    constants: "nil Nil NULL YES NO true false",
    type_definers: "@interface @implementation @protocol struct enum",
    preprocessor: true,
    ..C_LIKE
};

const CSHARP: Lang = Lang {
    keywords: "abstract as async await base bool break byte case catch char checked class const \
        continue decimal default delegate do double else enum event explicit extern \
        finally fixed float for foreach get goto if implicit in init int interface \
        internal is let lock long namespace new object operator out override params \
        partial private protected public readonly record ref return sbyte sealed set \
        short sizeof stackalloc static string struct switch this throw try typeof uint \
        ulong unchecked unsafe ushort using var virtual void volatile when where while \
        yield select from",
    constants: "null true false value",
    type_definers: "class struct interface enum record namespace",
    preprocessor: true,
    ..C_LIKE
};

const JAVA: Lang = Lang {
    keywords: "abstract assert boolean break byte case catch char class const continue default \
        do double else enum extends final finally float for goto if implements import \
        instanceof int interface long native new package private protected public record \
        return short static strictfp super switch synchronized this throw throws \
        transient try var void volatile while yield sealed permits",
    constants: "null true false",
    type_definers: "class interface enum record extends implements",
    decorators: true,
    ..C_LIKE
};

const KOTLIN: Lang = Lang {
    keywords: "as break class continue do else for fun if in interface is object package return \
        super this throw try typealias val var when while by catch constructor finally \
        get import init set where abstract data enum open override private protected \
        public internal sealed suspend companion const inline lateinit operator",
    constants: "null true false",
    fn_definers: "fun",
    type_definers: "class interface object typealias",
    decorators: true,
    python_strings: true,
    ..C_LIKE
};

const SCALA: Lang = Lang {
    keywords: "abstract case catch class def do else extends final finally for forSome if \
        implicit import lazy match new object override package private protected return \
        sealed super this throw trait try type val var while with yield given using enum \
        then extension",
    constants: "null true false None Nil",
    fn_definers: "def",
    type_definers: "class trait object type extends with enum",
    decorators: true,
    python_strings: true,
    ..C_LIKE
};

const GROOVY: Lang = Lang {
    keywords: "as assert break case catch class continue def default do else enum extends final \
        finally for if implements import in instanceof interface new package private \
        protected public return static super switch this throw throws trait try var void \
        while int boolean String",
    constants: "null true false",
    type_definers: "class interface enum trait",
    decorators: true,
    python_strings: true,
    ..C_LIKE
};

const SWIFT: Lang = Lang {
    keywords: "associatedtype class deinit enum extension func import init inout internal let \
        operator private protocol public static struct subscript typealias var break case \
        continue default defer do else fallthrough for guard if in repeat return switch \
        where while as catch is rethrows throw throws try async await some any self Self \
        super override mutating final open fileprivate weak lazy",
    constants: "nil true false",
    fn_definers: "func",
    type_definers: "class struct enum protocol extension typealias",
    decorators: true,
    python_strings: true,
    ..C_LIKE
};

const GO: Lang = Lang {
    keywords: "break case chan const continue default defer else fallthrough for func go goto if \
        import interface map package range return select struct switch type var bool byte \
        complex64 complex128 error float32 float64 int int8 int16 int32 int64 rune string \
        uint uint8 uint16 uint32 uint64 uintptr any",
    constants: "nil true false iota",
    fn_definers: "func",
    type_definers: "type",
    quotes: b"\"'`",
    multiline_quotes: b"`",
    capitalised_types: false,
    ..C_LIKE
};

const D: Lang = Lang {
    keywords: "abstract alias align asm assert auto bool break byte case cast catch char class \
        const continue dchar debug default delegate do double else enum export extern \
        final finally float for foreach function goto if immutable import in inout int \
        interface is lazy long module new nothrow out override package private protected \
        public pure real ref return scope shared short static string struct super switch \
        synchronized template this throw try typeof ubyte uint ulong union unittest \
        ushort version void wchar while with",
    constants: "null true false",
    type_definers: "class struct interface enum union template",
    quotes: b"\"'`",
    multiline_quotes: b"\"`",
    ..C_LIKE
};

const RUST: Lang = Lang {
    keywords: "as async await break const continue crate dyn else enum extern fn for if impl in \
        let loop match mod move mut pub ref return static struct super trait type unsafe \
        use where while yield bool char str u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 \
        isize f32 f64 union",
    constants: "true false self Self None Some Ok Err",
    fn_definers: "fn",
    type_definers: "struct enum trait type union impl mod",
    multiline_quotes: b"\"",
    rust: true,
    ..C_LIKE
};

const JS_KEYWORDS: &str =
    "async await break case catch class const continue debugger default delete do else \
    export extends finally for from function get if import in instanceof let new of return \
    set static super switch this throw try typeof var void while with yield as";

const JAVASCRIPT: Lang = Lang {
    keywords: JS_KEYWORDS,
    constants: "null undefined true false NaN Infinity",
    fn_definers: "function",
    type_definers: "class extends",
    quotes: b"\"'`",
    multiline_quotes: b"`",
    dollar_names: true,
    ..C_LIKE
};

const TYPESCRIPT: Lang = Lang {
    keywords: "async await break case catch class const continue debugger default delete do else \
        export extends finally for from function get if import in instanceof let new of \
        return set static super switch this throw try typeof var void while with yield as \
        interface type enum implements private protected public readonly declare \
        namespace abstract keyof infer is satisfies string number boolean any unknown \
        never object symbol bigint",
    type_definers: "class interface type enum extends implements namespace",
    decorators: true,
    ..JAVASCRIPT
};

const JSON: Lang = Lang {
    constants: "true false null",
    quotes: b"\"",
    keys: true,
    ..C_LIKE
};

const PYTHON: Lang = Lang {
    line_comments: &["#"],
    keywords: "and as assert async await break class continue def del elif else except finally \
        for from global if import in is lambda nonlocal not or pass raise return try \
        while with yield match case",
    constants: "True False None self cls NotImplemented Ellipsis",
    fn_definers: "def",
    type_definers: "class",
    decorators: true,
    python_strings: true,
    ..BASE
};

const SHELL_KEYWORDS: &str =
    "if then else elif fi for while until do done case esac in function return local export \
    declare readonly unset shift exit select time source alias";

const SHELL: Lang = Lang {
    line_comments: &["#"],
    keywords: SHELL_KEYWORDS,
    constants: "true false",
    fn_definers: "function",
    multiline_quotes: b"\"'",
    quotes: b"\"'`",
    comment_at_word: true,
    ..BASE
};

const DOCKERFILE: Lang = Lang {
    keywords: "FROM RUN CMD LABEL EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR ARG ONBUILD \
        STOPSIGNAL HEALTHCHECK SHELL AS",
    ..SHELL
};

const POWERSHELL: Lang = Lang {
    line_comments: &["#"],
    block_comments: &[("<#", "#>")],
    keywords: "begin break catch class continue data do dynamicparam else elseif end exit filter \
        finally for foreach from function if in param process return switch throw trap \
        try until using while -eq -ne -gt -lt -ge -le -and -or -not -like -match",
    constants: "$true $false $null",
    fn_definers: "function",
    caseless: true,
    dollar_names: true,
    multiline_quotes: b"\"'",
    ..BASE
};

const SQL: Lang = Lang {
    line_comments: &["--"],
    block_comments: &[("/*", "*/")],
    keywords: "select from where and or not insert into values update set delete create table \
        index view drop alter add column primary key foreign references join inner left \
        right outer full cross on as group by order having limit offset distinct union \
        all exists in is like between case when then else end asc desc with recursive \
        default unique check constraint if begin commit rollback transaction returning \
        integer int text varchar char real boolean date timestamp blob numeric decimal \
        serial bigint count sum avg min max coalesce cast over partition grant revoke \
        trigger replace",
    constants: "null true false",
    quotes: b"'\"`",
    multiline_quotes: b"'",
    caseless: true,
    doubled_quotes: true,
    ..BASE
};

const YAML: Lang = Lang {
    line_comments: &["#"],
    constants: "true false null yes no on off True False ~",
    comment_at_word: true,
    keys: true,
    ..BASE
};

const TOML: Lang = Lang {
    line_comments: &["#"],
    constants: "true false inf nan",
    python_strings: true,
    keys: true,
    sections: true,
    ..BASE
};

const INI: Lang = Lang {
    line_comments: &[";", "#"],
    constants: "true false yes no on off",
    keys: true,
    sections: true,
    comment_at_word: true,
    ..BASE
};

const RUBY: Lang = Lang {
    line_comments: &["#"],
    block_comments: &[("=begin", "=end")],
    keywords: "alias and begin break case class def defined? do else elsif end ensure for if in \
        module next not or redo rescue retry return super then undef unless until when \
        while yield require require_relative include extend attr_reader attr_writer \
        attr_accessor private protected public raise puts lambda proc",
    constants: "nil true false self __FILE__ __LINE__",
    fn_definers: "def",
    type_definers: "class module",
    quotes: b"\"'`",
    multiline_quotes: b"\"'",
    capitalised_types: true,
    comment_at_word: true,
    symbols: true,
    ..BASE
};

const PHP: Lang = Lang {
    line_comments: &["//", "#"],
    block_comments: &[("/*", "*/")],
    keywords: "abstract and array as break callable case catch class clone const continue \
        declare default do echo else elseif empty enddeclare endfor endforeach endif \
        endswitch endwhile enum extends final finally fn for foreach function global goto \
        if implements include include_once instanceof insteadof interface isset list \
        match namespace new or print private protected public readonly require \
        require_once return static switch throw trait try unset use var while xor yield \
        php",
    constants: "null true false $this NULL TRUE FALSE",
    fn_definers: "function fn",
    type_definers: "class interface trait extends implements enum",
    multiline_quotes: b"\"'",
    capitalised_types: true,
    dollar_names: true,
    ..BASE
};

const LUA: Lang = Lang {
    line_comments: &["--"],
    block_comments: &[("--[[", "]]")],
    keywords: "and break do else elseif end for function goto if in local not or repeat return \
        then until while",
    constants: "nil true false self",
    fn_definers: "function",
    ..BASE
};

const PERL: Lang = Lang {
    line_comments: &["#"],
    keywords: "my our local sub package use require no if elsif else unless while until for \
        foreach do last next redo return and or not eq ne lt gt le ge cmp print die bless \
        qw wantarray",
    constants: "undef __PACKAGE__ __FILE__ __LINE__",
    fn_definers: "sub",
    type_definers: "package",
    quotes: b"\"'`",
    multiline_quotes: b"\"'",
    comment_at_word: true,
    ..BASE
};

const HASKELL: Lang = Lang {
    line_comments: &["--"],
    block_comments: &[("{-", "-}")],
    keywords: "case class data default deriving do else family forall foreign if import in infix \
        infixl infixr instance let module newtype of qualified then type where as hiding",
    constants: "True False Nothing Just Left Right otherwise",
    type_definers: "data newtype type class instance module",
    capitalised_types: true,
    ..BASE
};

const MAKEFILE: Lang = Lang {
    line_comments: &["#"],
    keywords: "ifeq ifneq ifdef ifndef else endif include -include define endef export unexport \
        override vpath .PHONY .DEFAULT .SUFFIXES",
    comment_at_word: true,
    make: true,
    ..BASE
};

const R: Lang = Lang {
    line_comments: &["#"],
    keywords: "if else repeat while function for in next break return library require source",
    constants: "TRUE FALSE NULL NA Inf NaN T F",
    quotes: b"\"'`",
    multiline_quotes: b"\"'",
    ..BASE
};

const CLOJURE: Lang = Lang {
    line_comments: &[";"],
    keywords: "def defn defn- defmacro defmulti defmethod defprotocol defrecord deftype let \
        letfn fn if if-let when when-let when-not cond case do loop recur ns require \
        import try catch finally throw quote var and or not for doseq -> ->>",
    constants: "nil true false",
    fn_definers: "defn defn- defmacro defmulti defmethod",
    type_definers: "defrecord deftype defprotocol ns",
    quotes: b"\"",
    multiline_quotes: b"\"",
    lisp: true,
    ..BASE
};

const LISP: Lang = Lang {
    line_comments: &[";"],
    block_comments: &[("#|", "|#")],
    keywords: "define defun defmacro defvar defparameter defconstant defclass defmethod \
        defgeneric defstruct lambda let let* letrec if cond case when unless and or not \
        begin progn loop do dolist dotimes setq setf quote set! define-syntax",
    constants: "nil t #t #f",
    fn_definers: "defun define defmacro defmethod defgeneric",
    type_definers: "defclass defstruct",
    quotes: b"\"",
    multiline_quotes: b"\"",
    lisp: true,
    ..BASE
};

const ERLANG: Lang = Lang {
    line_comments: &["%"],
    keywords: "after and andalso band begin bnot bor bsl bsr bxor case catch cond div end fun if \
        let not of or orelse receive rem try when xor -module -export -import -record \
        -define -include -spec -type",
    constants: "true false ok error undefined",
    capitalised_types: false,
    ..BASE
};

const OCAML: Lang = Lang {
    block_comments: &[("(*", "*)")],
    keywords: "and as assert begin class constraint do done downto else end exception external \
        for fun function functor if in include inherit initializer lazy let match method \
        module mutable new object of open or private rec sig struct then to try type val \
        virtual when while with",
    constants: "true false None Some",
    type_definers: "type module exception class",
    quotes: b"\"",
    multiline_quotes: b"\"",
    capitalised_types: true,
    ..BASE
};

const MATLAB: Lang = Lang {
    line_comments: &["%"],
    block_comments: &[("%{", "%}")],
    keywords: "break case catch classdef continue else elseif end for function global if \
        otherwise parfor persistent return spmd switch try while",
    constants: "true false pi inf Inf nan NaN eps",
    fn_definers: "function",
    doubled_quotes: true,
    ..BASE
};

const BATCH: Lang = Lang {
    line_comments: &["rem ", "::"],
    keywords: "echo set if else goto call exit for in do not exist defined errorlevel setlocal \
        endlocal shift pause cd pushd popd equ neq lss leq gtr geq off on start",
    quotes: b"\"",
    caseless: true,
    doubled_quotes: true,
    ..BASE
};

const PASCAL: Lang = Lang {
    line_comments: &["//"],
    block_comments: &[("(*", "*)"), ("{", "}")],
    keywords: "and array as begin case class const constructor destructor div do downto else end \
        except file finally for function goto if implementation in inherited interface is \
        label mod nil not object of or packed procedure program property raise record \
        repeat set shl shr then to try type unit until uses var while with xor integer \
        real boolean char string writeln readln write read",
    constants: "true false nil",
    fn_definers: "function procedure",
    quotes: b"'",
    caseless: true,
    doubled_quotes: true,
    ..BASE
};

const DOT: Lang = Lang {
    line_comments: &["//", "#"],
    block_comments: &[("/*", "*/")],
    keywords: "graph digraph subgraph node edge strict",
    quotes: b"\"",
    caseless: true,
    ..BASE
};

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
    /// not known, or a block past the limits: the caller writes it plain. The text content
    /// is the code, unchanged.
    pub(crate) fn highlight(&mut self, language: &str, code: &str) -> Option<String> {
        let &(_, shape) = LANGUAGES
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(language))?;
        if code.len() > MAX_BLOCK_BYTES.min(self.budget) || code.lines().count() > MAX_BLOCK_LINES {
            return None;
        }
        self.budget -= code.len();
        // A bug in a lexer (an index past the end, say) costs the colours, not the answer.
        catch_unwind(AssertUnwindSafe(|| {
            let mut lexer = Lexer::new(code);
            lexer.shape(shape, code.len());
            lexer.out.finish()
        }))
        .ok()
    }
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b >= 0x80
}

fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c')
}

const OPERATORS: &[u8] = b"=+-*/<>!&|^%?~:";
const PUNCTUATION: &[u8] = b";,.(){}[]";

/// Walks the code once, writing each token as it is read. Every cut falls before or after
/// an ASCII byte, so each piece is whole UTF-8.
struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    i: usize,
    out: Html,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str) -> Self {
        Lexer {
            src,
            b: src.as_bytes(),
            i: 0,
            out: Html::with_capacity(src.len() * 2),
        }
    }

    fn at(&self, j: usize) -> u8 {
        self.b.get(j).copied().unwrap_or(0)
    }

    fn starts(&self, j: usize, s: &str) -> bool {
        self.b[j..].starts_with(s.as_bytes())
    }

    fn starts_caseless(&self, j: usize, s: &str) -> bool {
        self.b
            .get(j..j + s.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(s.as_bytes()))
    }

    /// Writes `src[i..end]` as `class` and moves on.
    fn emit(&mut self, class: Option<Class>, end: usize) {
        let end = end.min(self.b.len());
        if end > self.i {
            self.out.push(class, &self.src[self.i..end]);
            self.i = end;
        }
    }

    /// The end of the UTF-8 character at `j`.
    fn char_end(&self, j: usize) -> usize {
        let mut k = j + 1;
        while k < self.b.len() && self.b[k] & 0xC0 == 0x80 {
            k += 1;
        }
        k
    }

    fn line_end(&self, j: usize) -> usize {
        self.b[j..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.b.len(), |p| j + p)
    }

    /// Where `close` ends, searching from `j`; the end of the code if it never comes.
    fn after(&self, j: usize, close: &str) -> usize {
        self.src
            .get(j..)
            .and_then(|rest| rest.find(close))
            .map_or(self.b.len(), |p| j + p + close.len())
    }

    fn name_end(&self, j: usize, extra: &[u8]) -> usize {
        let mut k = j;
        while k < self.b.len() && (is_name(self.b[k]) || extra.contains(&self.b[k])) {
            k += 1;
        }
        k
    }

    /// The first byte at or after `j` that is not a space or a tab.
    fn next_visible(&self, j: usize) -> u8 {
        let mut k = j;
        while matches!(self.at(k), b' ' | b'\t') {
            k += 1;
        }
        self.at(k)
    }

    /// Whether only spaces and tabs (and, with `list`, a YAML `- `) come between the start
    /// of the line and `j`.
    fn line_start_before(&self, j: usize, list: bool) -> bool {
        // Backwards, stopping at the first other byte: a long line costs nothing.
        self.b[..j]
            .iter()
            .rev()
            .find(|&&b| !(b == b' ' || b == b'\t' || (list && b == b'-')))
            .is_none_or(|&b| b == b'\n')
    }

    fn whitespace(&mut self) {
        let mut k = self.i;
        while k < self.b.len() && is_space(self.b[k]) {
            k += 1;
        }
        self.emit(None, k);
    }

    fn shape(&mut self, shape: Shape, end: usize) {
        match shape {
            Shape::Code(lang) => self.code(lang, end),
            Shape::Markup => self.markup(end),
            Shape::Css => self.css(end),
            Shape::Diff => self.diff(end),
            Shape::Markdown => self.markdown(end),
            Shape::Latex => self.latex(end),
        }
    }

    /// A string opened at `i` by `quote` (after any prefix), to its closing quote: the
    /// end, where a line break ends it if the quote may not span lines.
    fn string_end(&self, open: usize, quote: &[u8], lang: &Lang, raw: bool) -> usize {
        let multiline = quote.len() > 1 || lang.multiline_quotes.contains(&quote[0]);
        let mut j = open + quote.len();
        while j < self.b.len() {
            let b = self.b[j];
            if b == b'\\' && !raw && !lang.doubled_quotes {
                j = self.char_end(j + 1);
                continue;
            }
            if self.b[j..].starts_with(quote) {
                if lang.doubled_quotes && self.b[j + 1..].starts_with(quote) {
                    j += 2;
                    continue;
                }
                return j + quote.len();
            }
            if b == b'\n' && !multiline {
                return j;
            }
            j += 1;
        }
        self.b.len()
    }

    /// Writes a string to `end`, its escapes (`\n`, `\"`) as constants.
    fn string(&mut self, end: usize, escapes: bool) {
        if escapes {
            let mut j = self.i;
            while j < end {
                if self.b[j] == b'\\' && j + 1 < end {
                    self.emit(Some(Class::String), j);
                    let escape_end = self.char_end(j + 1).min(end);
                    self.emit(Some(Class::Constant), escape_end);
                    j = escape_end;
                } else {
                    j += 1;
                }
            }
        }
        self.emit(Some(Class::String), end);
    }

    fn is_keyword(lang: &Lang, word: &str) -> bool {
        listed(lang.keywords, word, lang.caseless)
    }

    fn is_constant(lang: &Lang, word: &str) -> bool {
        listed(lang.constants, word, lang.caseless)
    }

    /// A string at `i`, if one opens there: its opening (prefix included), quote and
    /// whether escapes are read in it.
    fn string_start(&self, lang: &Lang) -> Option<(usize, &'static [u8], bool)> {
        let i = self.i;
        let c = self.at(i);
        if lang.python_strings {
            // Up to two prefix letters (`rb"…"`, `f"…"`), not the end of a longer name.
            let mut p = i;
            while p < i + 2 && matches!(self.at(p) | 0x20, b'r' | b'b' | b'f' | b'u') {
                p += 1;
            }
            if p == i || i == 0 || !is_name(self.b[i - 1]) {
                let raw = self.b[i..p].iter().any(|b| b | 0x20 == b'r');
                for quote in [&b"\"\"\""[..], b"'''", b"\"", b"'"] {
                    if self.b[p..].starts_with(quote) && lang.quotes.contains(&quote[0]) {
                        return Some((p, quote, !raw));
                    }
                }
            }
        }
        if lang.rust && (c == b'r' || (c == b'b' && self.at(i + 1) == b'r')) {
            let mut p = i + if c == b'b' { 2 } else { 1 };
            while self.at(p) == b'#' {
                p += 1;
            }
            if self.at(p) == b'"' && (i == 0 || !is_name(self.at(i - 1))) {
                return Some((p, b"\"", false));
            }
        }
        if lang.rust && c == b'b' && matches!(self.at(i + 1), b'"' | b'\'') {
            let quote: &'static [u8] = if self.at(i + 1) == b'"' { b"\"" } else { b"'" };
            return Some((i + 1, quote, true));
        }
        let quote: &'static [u8] = match c {
            b'"' => b"\"",
            b'\'' => b"'",
            b'`' => b"`",
            _ => return None,
        };
        lang.quotes.contains(&c).then_some((i, quote, true))
    }

    /// A language read by the common lexer (most of them).
    fn code(&mut self, lang: &Lang, end: usize) {
        // The last word read, for `fn name` and `class Name`; and whether an opening
        // parenthesis came just before (Lisps).
        let mut last_word: Option<&str> = None;
        let mut after_paren = false;
        while self.i < end {
            let i = self.i;
            let c = self.b[i];
            if is_space(c) {
                self.whitespace();
                continue;
            }
            let at_line_start = self.line_start_before(i, false);
            if lang.preprocessor && c == b'#' && at_line_start {
                let word_end = self.name_end(self.skip_blanks(i + 1), b"");
                let directive = &self.src[i..word_end];
                self.emit(Some(Class::Keyword), word_end);
                if directive.ends_with("include") || directive.ends_with("import") {
                    self.whitespace_on_line();
                    if self.at(self.i) == b'<' {
                        let close = self.b[self.i..]
                            .iter()
                            .position(|&b| b == b'>' || b == b'\n')
                            .map_or(self.b.len(), |p| self.i + p + 1);
                        self.emit(Some(Class::String), close);
                    }
                }
                continue;
            }
            if let Some(&(open, close)) = lang
                .block_comments
                .iter()
                .find(|(open, _)| self.starts(i, open))
            {
                let comment_end = self.after(i + open.len(), close);
                self.emit(Some(Class::Comment), comment_end);
                continue;
            }
            let word_start = i == 0
                || !lang.comment_at_word
                || is_space(self.b[i - 1])
                || b";(|&".contains(&self.b[i - 1]);
            if word_start
                && lang.line_comments.iter().any(|open| {
                    if lang.caseless {
                        self.starts_caseless(i, open)
                    } else {
                        self.starts(i, open)
                    }
                })
            {
                let comment_end = self.line_end(i);
                self.emit(Some(Class::Comment), comment_end);
                continue;
            }
            if lang.sections && c == b'[' && at_line_start {
                let close = self.line_end(i);
                let close = self.src[i..close].rfind(']').map_or(close, |p| i + p + 1);
                self.emit(Some(Class::Type), close);
                continue;
            }
            if let Some((open, quote, escapes)) = self.string_start(lang) {
                let string_end = self.string_end(open, quote, lang, !escapes);
                let string_end = if lang.rust && open > i && self.at(open - 1) == b'#' {
                    // r#"…"#: the closing quote is followed by as many hashes.
                    let hashes = "#".repeat(self.b[i..open].iter().filter(|&&b| b == b'#').count());
                    self.after(open + 1, &format!("\"{hashes}"))
                } else {
                    string_end
                };
                if lang.rust && quote == b"'" && self.is_lifetime(i) {
                    let name_end = self.name_end(i + 1, b"");
                    self.emit(Some(Class::Keyword), name_end);
                    continue;
                }
                let is_key = lang.keys && self.next_visible(string_end) == b':';
                if is_key {
                    self.emit(Some(Class::Attribute), string_end);
                } else {
                    self.string(string_end, escapes);
                }
                last_word = None;
                after_paren = false;
                continue;
            }
            if c.is_ascii_digit()
                || (c == b'.'
                    && self.at(i + 1).is_ascii_digit()
                    && (i == 0 || !is_name(self.b[i - 1])))
            {
                let number_end = self.number_end(i);
                self.emit(Some(Class::Number), number_end);
                last_word = None;
                continue;
            }
            // Words with a sign before them: `@interface`, `-eq`, `$true`, `.PHONY`, `#t`.
            if b"@-$.#".contains(&c) && is_name_start(self.at(i + 1)) {
                let word_end = self.name_end(i + 1, if lang.lisp { b"-?!*" } else { b"" });
                let word = &self.src[i..word_end];
                if Self::is_keyword(lang, word) {
                    self.emit(Some(Class::Keyword), word_end);
                    last_word = Some(word);
                    continue;
                }
                if Self::is_constant(lang, word) {
                    self.emit(Some(Class::Constant), word_end);
                    continue;
                }
                if c == b'@' && lang.decorators {
                    let name_end = self.name_end(i + 1, b".");
                    self.emit(Some(Class::Function), name_end);
                    continue;
                }
            }
            if lang.make && c == b'$' && matches!(self.at(i + 1), b'(' | b'{') {
                let close = if self.at(i + 1) == b'(' { ")" } else { "}" };
                let var_end = self.after(i + 2, close).min(self.line_end(i));
                self.emit(Some(Class::Constant), var_end);
                continue;
            }
            if (lang.symbols || lang.lisp)
                && c == b':'
                && is_name_start(self.at(i + 1))
                && (i == 0 || !(is_name(self.b[i - 1]) || self.b[i - 1] == b':'))
            {
                let name_end = self.name_end(i + 1, if lang.lisp { b"-?!*./" } else { b"?!" });
                self.emit(Some(Class::Constant), name_end);
                continue;
            }
            if is_name_start(c)
                || (lang.dollar_names && c == b'$')
                || (lang.lisp && b"*+!?<>=/".contains(&c) && after_paren)
            {
                let extra: &[u8] = if lang.lisp {
                    b"-?!*+<>=/.'"
                } else if lang.dollar_names {
                    b"$"
                } else if lang.make || lang.keys {
                    b"-."
                } else {
                    b""
                };
                let mut word_end = self.name_end(i + 1, extra);
                if lang.symbols && matches!(self.at(word_end), b'?' | b'!') {
                    word_end += 1;
                }
                let word = &self.src[i..word_end];
                let next = self.next_visible(word_end);
                let class = if Self::is_keyword(lang, word) {
                    Some(Class::Keyword)
                } else if Self::is_constant(lang, word) {
                    Some(Class::Constant)
                } else if lang.keys
                    && self.line_start_before(i, true)
                    && matches!(next, b':' | b'=')
                {
                    Some(Class::Attribute)
                } else if (lang.make
                    && at_line_start
                    && next == b':'
                    && self.at(self.skip_blanks(word_end) + 1) != b'=')
                    || (lang.lisp && after_paren)
                    || last_word.is_some_and(|w| listed(lang.fn_definers, w, false))
                {
                    // A Makefile's target, the function a Lisp form calls, a definition.
                    Some(Class::Function)
                } else if last_word.is_some_and(|w| listed(lang.type_definers, w, false)) {
                    Some(Class::Type)
                } else if lang.rust && self.at(word_end) == b'!' && self.at(word_end + 1) != b'=' {
                    word_end += 1;
                    Some(Class::Function)
                } else if next == b'(' && !lang.lisp {
                    Some(Class::Function)
                } else if lang.capitalised_types && c.is_ascii_uppercase() {
                    if word.bytes().any(|b| b.is_ascii_lowercase()) {
                        Some(Class::Type)
                    } else if word.len() > 1 {
                        Some(Class::Constant)
                    } else {
                        Some(Class::Type)
                    }
                } else {
                    None
                };
                self.emit(class, word_end);
                last_word = Some(word);
                after_paren = false;
                continue;
            }
            last_word = None;
            if PUNCTUATION.contains(&c) {
                after_paren = c == b'(';
                self.emit(Some(Class::Punctuation), i + 1);
                continue;
            }
            after_paren = false;
            if OPERATORS.contains(&c) {
                let mut k = i + 1;
                while k < end && OPERATORS.contains(&self.b[k]) && !self.comment_opens(lang, k) {
                    k += 1;
                }
                self.emit(Some(Class::Keyword), k);
                continue;
            }
            let next = self.char_end(i);
            self.emit(None, next);
        }
    }

    fn comment_opens(&self, lang: &Lang, k: usize) -> bool {
        lang.line_comments.iter().any(|open| self.starts(k, open))
            || lang
                .block_comments
                .iter()
                .any(|(open, _)| self.starts(k, open))
    }

    fn skip_blanks(&self, j: usize) -> usize {
        let mut k = j;
        while matches!(self.at(k), b' ' | b'\t') {
            k += 1;
        }
        k
    }

    fn whitespace_on_line(&mut self) {
        let k = self.skip_blanks(self.i);
        self.emit(None, k);
    }

    /// `'a` in Rust (a lifetime or a label), not `'a'` (a character).
    fn is_lifetime(&self, i: usize) -> bool {
        is_name_start(self.at(i + 1)) && {
            let name_end = self.name_end(i + 1, b"");
            self.at(name_end) != b'\''
        }
    }

    /// A number: digits, letters (`0x2A`, `1_000u32`, `1e9`), a decimal point followed by
    /// a digit, and an exponent's sign.
    fn number_end(&self, i: usize) -> usize {
        let mut k = i;
        loop {
            let b = self.at(k);
            let digit_next = self.at(k + 1).is_ascii_digit();
            let exponent_sign = matches!(b, b'+' | b'-')
                && matches!(self.at(k - 1), b'e' | b'E')
                && !self.b[i..k].starts_with(b"0x");
            if b.is_ascii_alphanumeric()
                || b == b'_'
                || ((b == b'.' || exponent_sign) && digit_next)
            {
                k += 1;
            } else {
                return k;
            }
        }
    }
}

impl Lexer<'_> {
    /// HTML, XML, SVG: tags and their attributes; comments, CDATA and entities; what a
    /// `<script>` or `<style>` holds is read as JavaScript or CSS.
    fn markup(&mut self, end: usize) {
        while self.i < end {
            let i = self.i;
            let c = self.b[i];
            if self.starts(i, "<!--") {
                let comment_end = self.after(i + 4, "-->");
                self.emit(Some(Class::Comment), comment_end);
            } else if self.starts(i, "<![CDATA[") {
                let cdata_end = self.after(i + 9, "]]>");
                self.emit(Some(Class::String), cdata_end);
            } else if c == b'<' && matches!(self.at(i + 1), b'!' | b'?') {
                let declaration_end = self.after(i, ">");
                self.emit(Some(Class::Tag), declaration_end);
            } else if c == b'<' && (self.at(i + 1).is_ascii_alphabetic() || self.at(i + 1) == b'/')
            {
                let closing = self.at(i + 1) == b'/';
                let name_end = self.name_end(i + 1 + usize::from(closing), b"-:.");
                let name = self.src[i + 1 + usize::from(closing)..name_end].to_ascii_lowercase();
                self.emit(Some(Class::Tag), name_end);
                self.tag_attributes(end);
                if !closing && (name == "script" || name == "style") {
                    let close = format!("</{name}");
                    let lower = self.src[self.i..end].to_ascii_lowercase();
                    let inner_end = lower.find(&close).map_or(end, |p| self.i + p);
                    let inner = if name == "script" {
                        Shape::Code(&JAVASCRIPT)
                    } else {
                        Shape::Css
                    };
                    self.shape(inner, inner_end);
                }
            } else if c == b'&' {
                let entity_end = self.name_end(i + 1, b"#");
                if self.at(entity_end) == b';' && entity_end > i + 1 {
                    self.emit(Some(Class::Constant), entity_end + 1);
                } else {
                    self.emit(None, i + 1);
                }
            } else {
                let text_end = self.b[i..end]
                    .iter()
                    .position(|&b| b == b'<' || b == b'&')
                    .map_or(end, |p| i + p.max(1));
                self.emit(None, text_end);
            }
        }
    }

    /// Inside a tag, after its name: attributes, their values, and the closing `>`.
    fn tag_attributes(&mut self, end: usize) {
        while self.i < end {
            let i = self.i;
            let c = self.b[i];
            if is_space(c) {
                self.whitespace();
            } else if c == b'>' {
                self.emit(Some(Class::Tag), i + 1);
                return;
            } else if c == b'/' && self.at(i + 1) == b'>' {
                self.emit(Some(Class::Tag), i + 2);
                return;
            } else if c == b'=' {
                self.emit(Some(Class::Punctuation), i + 1);
                let v = self.i;
                let value_end = match self.at(v) {
                    q @ (b'"' | b'\'') => self.b[v + 1..end]
                        .iter()
                        .position(|&b| b == q)
                        .map_or(end, |p| v + 1 + p + 1),
                    _ => self.b[v..end]
                        .iter()
                        .position(|&b| is_space(b) || b == b'>')
                        .map_or(end, |p| v + p),
                };
                self.emit(Some(Class::String), value_end);
            } else if c == b'<' {
                return;
            } else {
                let name_end = self.b[i..end]
                    .iter()
                    .position(|&b| is_space(b) || b"=>/<".contains(&b))
                    .map_or(end, |p| i + p.max(1));
                self.emit(Some(Class::Attribute), name_end);
            }
        }
    }

    /// CSS (and SCSS, Less): selectors, at-rules, properties and their values.
    fn css(&mut self, end: usize) {
        let mut depth = 0usize;
        // Inside an at-rule's prelude (`@media screen and (…)`), until `{` or `;`.
        let mut at_rule = false;
        while self.i < end {
            let i = self.i;
            let c = self.b[i];
            let name = |b: u8| is_name(b) || b == b'-';
            if is_space(c) {
                self.whitespace();
            } else if self.starts(i, "/*") {
                let comment_end = self.after(i + 2, "*/");
                self.emit(Some(Class::Comment), comment_end);
            } else if self.starts(i, "//") && (i == 0 || is_space(self.b[i - 1])) {
                let comment_end = self.line_end(i);
                self.emit(Some(Class::Comment), comment_end);
            } else if c == b'"' || c == b'\'' {
                let string_end =
                    self.string_end(i, if c == b'"' { b"\"" } else { b"'" }, &BASE, false);
                self.string(string_end, true);
            } else if c == b'@' && is_name_start(self.at(i + 1)) {
                let word_end = self.name_end(i + 1, b"-");
                self.emit(Some(Class::Keyword), word_end);
                at_rule = true;
            } else if c == b'{' || c == b'}' || c == b';' {
                match c {
                    b'{' => depth += 1,
                    b'}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
                at_rule = false;
                self.emit(Some(Class::Punctuation), i + 1);
            } else if c.is_ascii_digit() || (c == b'.' && self.at(i + 1).is_ascii_digit()) {
                let mut k = self.number_end(i);
                if self.at(k) == b'%' {
                    k += 1;
                }
                self.emit(Some(Class::Number), k);
            } else if matches!(c, b'#' | b'.' | b':')
                && name(self.at(i + 1))
                && !at_rule
                && (depth == 0 || self.selector_ahead(i, end))
            {
                // `.class`, `#id`, `:hover` in a selector.
                let selector_end = self.name_end(i + 1, b"-");
                self.emit(Some(Class::Attribute), selector_end);
            } else if c == b'#' && self.at(i + 1).is_ascii_hexdigit() {
                let colour_end = self.name_end(i + 1, b"");
                self.emit(Some(Class::Constant), colour_end);
            } else if c == b'!' && self.starts_caseless(i + 1, "important") {
                self.emit(Some(Class::Keyword), i + 10);
            } else if name(c) || c == b'$' {
                let word_end = self.name_end(i + 1, b"-$");
                let next = self.next_visible(word_end);
                let in_block = depth > 0 && !self.selector_ahead(word_end, end);
                let class = if next == b'(' {
                    Some(Class::Function)
                } else if at_rule {
                    None
                } else if !in_block {
                    Some(Class::Tag)
                } else if next == b':' && self.declaration_start(i) {
                    Some(Class::Attribute)
                } else {
                    Some(Class::Constant)
                };
                self.emit(class, word_end);
            } else if b"(),:>+~*&=".contains(&c) {
                self.emit(Some(Class::Punctuation), i + 1);
            } else {
                let next = self.char_end(i);
                self.emit(None, next);
            }
        }
    }

    /// Whether a word in a block starts a nested selector (SCSS, Less): `{` comes before
    /// the next `;` or `}`.
    fn selector_ahead(&self, j: usize, end: usize) -> bool {
        self.b[j..end]
            .iter()
            .find(|&&b| matches!(b, b'{' | b';' | b'}'))
            .is_some_and(|&b| b == b'{')
    }

    /// Whether only spaces separate `j` from the `{` or `;` before it.
    fn declaration_start(&self, j: usize) -> bool {
        self.b[..j]
            .iter()
            .rev()
            .find(|&&b| !is_space(b))
            .is_none_or(|&b| b == b'{' || b == b';')
    }

    /// A diff, line by line: files and hunks as headings, added and removed lines.
    fn diff(&mut self, end: usize) {
        while self.i < end {
            let i = self.i;
            let line_end = self.line_end(i).min(end);
            let line = &self.src[i..line_end];
            let class = if line.starts_with("+++")
                || line.starts_with("---")
                || line.starts_with("@@")
                || line.starts_with("diff ")
            {
                Some(Class::Function)
            } else if line.starts_with('+') || line.starts_with('>') {
                Some(Class::Inserted)
            } else if line.starts_with('-') || line.starts_with('<') {
                Some(Class::Deleted)
            } else {
                None
            };
            self.emit(class, line_end);
            self.emit(None, (line_end + 1).min(end));
        }
    }

    /// Markdown source: headings, fenced and inline code, list and quote markers, links.
    fn markdown(&mut self, end: usize) {
        let mut fence: Option<&str> = None;
        while self.i < end {
            let i = self.i;
            let line_end = self.line_end(i).min(end);
            let line = &self.src[i..line_end];
            let trimmed = line.trim_start();
            if let Some(open) = fence {
                if trimmed.starts_with(open) {
                    fence = None;
                }
                self.emit(Some(Class::String), line_end);
            } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                fence = Some(&trimmed[..3]);
                self.emit(Some(Class::String), line_end);
            } else if trimmed.starts_with('#') {
                self.emit(Some(Class::Keyword), line_end);
            } else {
                self.markdown_line(line_end);
            }
            self.emit(None, (line_end + 1).min(end));
        }
    }

    fn markdown_line(&mut self, end: usize) {
        let indent = self.skip_blanks(self.i);
        self.emit(None, indent);
        let marker = self.b[indent..end]
            .iter()
            .position(|&b| b == b' ')
            .filter(|&p| {
                let word = &self.b[indent..indent + p];
                matches!(word, b"-" | b"*" | b"+" | b">")
                    || (word.len() > 1
                        && word.ends_with(b".")
                        && word[..word.len() - 1].iter().all(u8::is_ascii_digit))
            });
        if let Some(p) = marker {
            self.emit(Some(Class::Punctuation), indent + p);
        }
        while self.i < end {
            let i = self.i;
            match self.b[i] {
                b'`' => {
                    let close = self.b[i + 1..end]
                        .iter()
                        .position(|&b| b == b'`')
                        .map_or(end, |p| i + 1 + p + 1);
                    self.emit(Some(Class::String), close);
                }
                b'[' | b']' => self.emit(Some(Class::Punctuation), i + 1),
                b'(' if i > 0 && self.b[i - 1] == b']' => {
                    let close = self.b[i..end]
                        .iter()
                        .position(|&b| b == b')')
                        .map_or(end, |p| i + p);
                    self.emit(Some(Class::Punctuation), i + 1);
                    self.emit(Some(Class::String), close);
                    self.emit(Some(Class::Punctuation), (close + 1).min(end));
                }
                _ => {
                    let text_end = self.b[i..end]
                        .iter()
                        .position(|&b| matches!(b, b'`' | b'[' | b']' | b'('))
                        .map_or(end, |p| i + p.max(1));
                    self.emit(None, text_end);
                }
            }
        }
    }

    /// LaTeX: commands, environments' names, comments, and mathematics as strings.
    fn latex(&mut self, end: usize) {
        let mut environment = false;
        while self.i < end {
            let i = self.i;
            let c = self.b[i];
            if c == b'%' {
                let comment_end = self.line_end(i).min(end);
                self.emit(Some(Class::Comment), comment_end);
            } else if c == b'\\' && self.at(i + 1).is_ascii_alphabetic() {
                let mut k = i + 1;
                while self.at(k).is_ascii_alphabetic() {
                    k += 1;
                }
                environment = matches!(&self.src[i..k], "\\begin" | "\\end");
                self.emit(Some(Class::Keyword), k);
                continue;
            } else if c == b'\\' {
                let escape_end = self.char_end(i + 1).min(end);
                self.emit(Some(Class::Constant), escape_end);
            } else if c == b'$' {
                let open = if self.at(i + 1) == b'$' { "$$" } else { "$" };
                let math_end = self.after(i + open.len(), open).min(end);
                self.emit(Some(Class::String), math_end);
            } else if c == b'{' && environment {
                self.emit(Some(Class::Punctuation), i + 1);
                let close = self.b[i + 1..end]
                    .iter()
                    .position(|&b| b == b'}')
                    .map_or(end, |p| i + 1 + p);
                self.emit(Some(Class::Type), close);
            } else if b"{}[]&".contains(&c) {
                self.emit(Some(Class::Punctuation), i + 1);
            } else if c.is_ascii_digit() {
                let number_end = self.number_end(i);
                self.emit(Some(Class::Number), number_end);
            } else {
                let text_end = self.b[i..end]
                    .iter()
                    .position(|&b| b"%\\${}[]&".contains(&b) || b.is_ascii_digit())
                    .map_or(end, |p| i + p.max(1));
                self.emit(None, text_end);
            }
            environment = false;
        }
    }
}

/// Spans written flat, one per run of text of the same class; unclassed text bare.
/// Whitespace between two runs of one class stays inside their span; elsewhere it is
/// written bare.
struct Html {
    out: String,
    open: Option<Class>,
    /// Whitespace read and not yet written: where it goes depends on what follows.
    blank: String,
}

impl Html {
    fn with_capacity(capacity: usize) -> Self {
        Html {
            out: String::with_capacity(capacity),
            open: None,
            blank: String::new(),
        }
    }

    fn push(&mut self, class: Option<Class>, text: &str) {
        if text.bytes().all(is_space) {
            self.blank.push_str(text);
            return;
        }
        if class != self.open {
            self.close();
            self.write_blank();
            if let Some(class) = class {
                self.out.push_str("<span class=\"");
                self.out.push_str(class.name());
                self.out.push_str("\">");
            }
            self.open = class;
        } else {
            self.write_blank();
        }
        escape_into(&mut self.out, text);
    }

    fn close(&mut self) {
        if self.open.take().is_some() {
            self.out.push_str("</span>");
        }
    }

    fn write_blank(&mut self) {
        self.out.push_str(&self.blank);
        self.blank.clear();
    }

    fn finish(mut self) -> String {
        self.close();
        self.write_blank();
        self.out
    }
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn highlighted(language: &str, code: &str) -> String {
        Highlighter::new()
            .highlight(language, code)
            .expect(language)
    }

    /// What the page shows of the HTML: the tags dropped, the entities read.
    fn text_of(html: &str) -> String {
        let mut text = String::new();
        let mut rest = html;
        while let Some(open) = rest.find('<') {
            text.push_str(&rest[..open]);
            rest = &rest[open + rest[open..].find('>').expect("a closed tag") + 1..];
        }
        text.push_str(rest);
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    }

    /// The text of each span of `class` (neighbouring tokens of one class share a span).
    fn spans_of(html: &str, class: Class) -> Vec<String> {
        let open = format!("<span class=\"{}\">", class.name());
        html.split(&open)
            .skip(1)
            .map(|rest| text_of(&rest[..rest.find("</span>").expect("a closed span")]))
            .collect()
    }

    #[test]
    fn every_fence_language_is_listed_once_in_lower_case() {
        let mut seen = std::collections::HashSet::new();
        for language in languages() {
            assert_eq!(language, language.to_lowercase());
            assert!(seen.insert(language), "{language} twice");
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
    fn whitespace_joins_a_span_only_between_runs_of_its_class() {
        assert_eq!(
            highlighted("rust", "let mut x = 1;\n"),
            "<span class=\"hl-keyword\">let mut</span> x <span class=\"hl-keyword\">=</span> \
             <span class=\"hl-number\">1</span><span class=\"hl-punctuation\">;</span>\n"
        );
    }

    /// Each language's own tokens, each found as a whole span.
    #[test]
    fn languages_mark_their_own_tokens() {
        use Class::*;
        /// A language, code in it, and tokens that must come out with their class.
        type Case = (&'static str, &'static str, &'static [(Class, &'static str)]);
        let cases: &[Case] = &[
            (
                "python",
                "@cache\ndef greet(name):\n    \"\"\"Say \"hi\".\"\"\"\n    return f'hi {name}' if name else None  # done\n",
                &[(Function, "@cache"), (Keyword, "def"), (Function, "greet"),
                  (String, "\"\"\"Say \"hi\".\"\"\""), (String, "f'hi {name}'"),
                  (Constant, "None"), (Comment, "# done")],
            ),
            (
                "rust",
                "fn f<'a>(x: &'a str) -> char { println!(\"{x}\\n\"); let r = r#\"a \"b\" c\"#; 'x' }\n",
                &[(Keyword, "fn"), (Function, "f"), (Keyword, "'a"), (Function, "println!"),
                  (Constant, "\\n"), (String, "r#\"a \"b\" c\"#"), (String, "'x'")],
            ),
            (
                "ts",
                "interface Point { x: number }\nconst s = `tpl ${x}`; // note\nclass A extends B {}\n",
                &[(Keyword, "interface"), (Type, "Point"), (Keyword, "number"),
                  (String, "`tpl ${x}`"), (Comment, "// note"), (Type, "A"), (Type, "B")],
            ),
            (
                "c",
                "#include <stdio.h>\n/* block */ int main(void) { return 0x1F; }\n",
                &[(Keyword, "#include"), (String, "<stdio.h>"), (Comment, "/* block */"),
                  (Keyword, "int"), (Function, "main"), (Number, "0x1F")],
            ),
            (
                "sql",
                "SELECT name FROM users WHERE note = 'it''s' AND id >= 10; -- why\n",
                &[(Keyword, "SELECT"), (Keyword, "FROM"), (String, "'it''s'"),
                  (Keyword, ">="), (Number, "10"), (Comment, "-- why")],
            ),
            (
                "json",
                "{\"key\": \"value\", \"n\": -1.5e3, \"ok\": true, \"none\": null}",
                &[(Attribute, "\"key\""), (String, "\"value\""), (Number, "1.5e3"),
                  (Constant, "true"), (Constant, "null"), (Punctuation, ",")],
            ),
            (
                "yaml",
                "name: app\nitems:\n  - first # why\n  - key: 2\nok: true\n",
                &[(Attribute, "name"), (Comment, "# why"), (Attribute, "key"),
                  (Number, "2"), (Constant, "true")],
            ),
            (
                "toml",
                "[package]\nname = \"dynaspark\" # ours\nlto = true\n",
                &[(Type, "[package]"), (Attribute, "name"), (String, "\"dynaspark\""),
                  (Comment, "# ours"), (Constant, "true")],
            ),
            (
                "html",
                "<!DOCTYPE html>\n<a href=\"x\" hidden>&amp; go</a><!-- c -->\n<script>let a = 1;</script>\n<style>p { color: red; }</style>\n",
                &[(Tag, "<!DOCTYPE html>"), (Tag, "<a"), (Attribute, "href"),
                  (String, "\"x\""), (Attribute, "hidden"), (Constant, "&amp;"),
                  (Tag, "</a"), (Comment, "<!-- c -->"), (Keyword, "let"),
                  (Attribute, "color"), (Constant, "red")],
            ),
            (
                "css",
                "@media (max-width: 600px) {\n  .btn:hover, #main > p { color: #fff; margin: 0 4px !important; }\n}\n",
                &[(Keyword, "@media"), (Number, "600px"), (Attribute, ".btn"),
                  (Attribute, "#main"), (Tag, "p"), (Attribute, "color"),
                  (Constant, "#fff"), (Number, "4px"), (Keyword, "!important")],
            ),
            (
                "diff",
                "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n+new\n same\n",
                &[(Function, "--- a/x"), (Function, "@@ -1 +1 @@"), (Deleted, "-old"),
                  (Inserted, "+new")],
            ),
            (
                "markdown",
                "# Title\n- an item with `code` and [a link](https://x.org)\n```\nraw\n```\n",
                &[(Keyword, "# Title"), (Punctuation, "-"), (String, "`code`"),
                  (String, "https://x.org"), (String, "raw")],
            ),
            (
                "latex",
                "\\begin{equation} x^2 = $a + b$ \\end{equation} % note\n",
                &[(Keyword, "\\begin"), (Type, "equation"), (String, "$a + b$"),
                  (Comment, "% note")],
            ),
            (
                "bash",
                "if [ $# -gt 0 ]; then echo \"n=$1\"; fi # done\n",
                &[(Keyword, "if"), (Keyword, "then"), (String, "\"n=$1\""),
                  (Keyword, "fi"), (Comment, "# done")],
            ),
            (
                "makefile",
                "# build\nall: build\n\t$(CC) -o app main.c\n",
                &[(Comment, "# build"), (Function, "all"), (Constant, "$(CC)")],
            ),
            (
                "clojure",
                "(defn add [a b] (+ a b)) ; sum\n(:key m)\n",
                &[(Keyword, "defn"), (Function, "add"), (Function, "+"),
                  (Comment, "; sum"), (Constant, ":key")],
            ),
            (
                "ruby",
                "def ok?\n  :sym if @x.nil?\nend\n",
                &[(Keyword, "def"), (Function, "ok?"), (Constant, ":sym"), (Keyword, "end")],
            ),
            (
                "go",
                "func main() {\n\tfmt.Println(`raw\nline`, nil)\n}\n",
                &[(Keyword, "func"), (Function, "main"), (Function, "Println"),
                  (String, "`raw\nline`"), (Constant, "nil")],
            ),
        ];
        for &(language, code, tokens) in cases {
            let html = highlighted(language, code);
            assert_eq!(text_of(&html), code, "{language}: the text changed");
            for &(class, text) in tokens {
                assert!(
                    spans_of(&html, class).iter().any(|s| s.contains(text)),
                    "{language}: {text:?} is not {class:?} in\n{html}"
                );
            }
        }
    }

    /// Unclosed strings and comments, stray quotes, a backslash at the end, non-ASCII text:
    /// every language keeps every character, and none gives up.
    #[test]
    fn odd_code_keeps_its_text_in_every_language() {
        let samples = [
            "\"unclosed\n'also\n`and /* never closed",
            "x = 'é' + \"naïve \\\" 日本\" // ok\n<tag attr=\"v\nmore\\",
            "r#\"raw never ends\n'a 'b' '\\u{1F600}'\n#[attr] $ @ # ` ~\n",
            "--[[ lua\n{- hs\n(* ml\n<!-- x\n%{ m\n\\",
            "1.2.3 0x 1e+ .5 5. 1..2 -> => :: ?? **",
            "",
            "\n\n\t \r\n",
        ];
        for (language, _) in LANGUAGES {
            for sample in samples {
                let html = Highlighter::new()
                    .highlight(language, sample)
                    .unwrap_or_else(|| panic!("{language} gave up on {sample:?}"));
                assert_eq!(text_of(&html), sample, "{language}: {html}");
            }
        }
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
