//! Markdown answers to safe HTML: pulldown-cmark renders (LaTeX between `$` or `$$` as
//! MathML, by pulldown-latex: no script, nothing remote; fenced code highlighted as classed
//! spans, by highlight.rs), ammonia sanitises.
//! The output may be assigned to `innerHTML`; nothing else from the network may.

use std::collections::HashSet;
use std::sync::{LazyLock, OnceLock};

use pulldown_cmark::{html, CodeBlockKind, CowStr, Event, Options, Parser, Tag, TagEnd};
use pulldown_latex::config::DisplayMode;

use crate::highlight::{self, Highlighter};

/// Bump when the HTML for the same Markdown changes: stored answers are re-rendered
/// lazily, the next time they are read.
pub const RENDERER_VERSION: i64 = 6;

/// Renders Markdown (CommonMark + tables, strikethrough, task lists, footnotes, math) to
/// sanitised HTML.
/// Links keep only http, https and mailto targets; raw HTML is dropped, and an image is
/// never loaded: it becomes a link to it, named by its alt text (the person can open it
/// in their browser, from the same safe schemes only).
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_MATH;
    let events = Parser::new_ext(markdown, options).map(|event| match event {
        Event::InlineMath(tex) => math(tex, DisplayMode::Inline),
        Event::DisplayMath(tex) => math(tex, DisplayMode::Block),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        other => other,
    });
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, highlighted(events).into_iter());
    sanitizer()
        .clean(&alignment_classes(&unsafe_html))
        .to_string()
}

/// LaTeX as MathML, its source kept in an annotation (copied with it, read by screen
/// readers that want it). What pulldown-latex cannot read it marks in the MathML; were
/// the writing itself to fail, or the parser to panic on odd input (the answer is
/// rendered again each time it is read, so a panic would return with it), the TeX shows
/// as inline code (escaped by pulldown-cmark like any other).
fn math(tex: CowStr<'_>, display_mode: DisplayMode) -> Event<'_> {
    let written = std::panic::catch_unwind(|| {
        let storage = pulldown_latex::Storage::new();
        let parser = pulldown_latex::Parser::new(&tex, &storage);
        let config = pulldown_latex::RenderConfig {
            display_mode,
            annotation: Some(&tex),
            ..Default::default()
        };
        let mut mathml = String::new();
        pulldown_latex::push_mathml(&mut mathml, parser, config).map(|()| mathml)
    });
    match written {
        Ok(Ok(mathml)) => Event::InlineHtml(mathml.into()),
        _ => Event::Code(tex),
    }
}

/// Fenced code in a language the highlighter knows gets its text as classed spans (one HTML
/// event in place of the block's text events); everything else passes as it came.
fn highlighted<'a>(events: impl Iterator<Item = Event<'a>>) -> Vec<Event<'a>> {
    let mut highlighter = Highlighter::new();
    let mut out = Vec::new();
    // The open block's fence language, and where its text starts in `out`.
    let mut fence: Option<(String, usize)> = None;
    for event in events {
        match &event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(info))) => {
                // The first word, as pulldown-cmark takes it for the `language-` class.
                let language = info.split(' ').next().unwrap_or_default();
                fence = Some((language.to_owned(), out.len() + 1));
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((language, start)) = fence.take() {
                    let code = out[start..].iter().try_fold(String::new(), |mut code, e| {
                        let Event::Text(text) = e else { return None };
                        code.push_str(text);
                        Some(code)
                    });
                    if let Some(html) =
                        code.and_then(|code| highlighter.highlight(&language, &code))
                    {
                        out.truncate(start);
                        out.push(Event::Html(html.into()));
                    }
                }
            }
            _ => {}
        }
        out.push(event);
    }
    out
}

/// Table cells' alignment as classes (`align-left`, `align-center`, `align-right`):
/// pulldown-cmark writes it as a `style` attribute, which the page's CSP would block.
fn alignment_classes(html: &str) -> String {
    const ALIGNED: [(&str, &str); 6] = [
        (
            "<th style=\"text-align: left\">",
            "<th class=\"align-left\">",
        ),
        (
            "<th style=\"text-align: center\">",
            "<th class=\"align-center\">",
        ),
        (
            "<th style=\"text-align: right\">",
            "<th class=\"align-right\">",
        ),
        (
            "<td style=\"text-align: left\">",
            "<td class=\"align-left\">",
        ),
        (
            "<td style=\"text-align: center\">",
            "<td class=\"align-center\">",
        ),
        (
            "<td style=\"text-align: right\">",
            "<td class=\"align-right\">",
        ),
    ];
    if !html.contains("<table>") {
        return html.to_owned();
    }
    ALIGNED
        .iter()
        .fold(html.to_owned(), |out, (from, to)| out.replace(from, to))
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.url_schemes(HashSet::from(["http", "https", "mailto"]))
            .link_rel(Some("noopener noreferrer nofollow"))
            .rm_tags(["img"])
            .add_tags(MATHML_TAGS)
            .add_tag_attributes("math", ["display"])
            .add_tag_attributes("annotation", ["encoding"])
            .add_generic_attributes(MATHML_ATTRIBUTES)
            .add_allowed_classes("th", ALIGNMENT_CLASSES)
            .add_allowed_classes("td", ALIGNMENT_CLASSES)
            .add_allowed_classes("code", language_classes())
            .add_allowed_classes("span", highlight::classes())
            .url_relative(ammonia::UrlRelative::Deny);
        b
    })
}

/// MathML Core's presentation elements (what pulldown-latex writes).
const MATHML_TAGS: [&str; 27] = [
    "math",
    "semantics",
    "annotation",
    "mrow",
    "mi",
    "mn",
    "mo",
    "ms",
    "mtext",
    "mspace",
    "msub",
    "msup",
    "msubsup",
    "munder",
    "mover",
    "munderover",
    "mfrac",
    "msqrt",
    "mroot",
    "mstyle",
    "merror",
    "mpadded",
    "mphantom",
    "mtable",
    "mtr",
    "mtd",
    "mmultiscripts",
];

/// Their presentation attributes (no style, no href, no events).
const MATHML_ATTRIBUTES: [&str; 20] = [
    "mathvariant",
    "displaystyle",
    "scriptlevel",
    "stretchy",
    "fence",
    "separator",
    "lspace",
    "rspace",
    "largeop",
    "movablelimits",
    "symmetric",
    "minsize",
    "maxsize",
    "accent",
    "accentunder",
    "linethickness",
    "width",
    "height",
    "depth",
    "columnspan",
];

const ALIGNMENT_CLASSES: [&str; 3] = ["align-left", "align-center", "align-right"];

/// Language classes kept on code blocks, for the label above them: every language the
/// highlighter knows, and these.
const PLAIN_LANGUAGES: [&str; 4] = ["text", "toml", "kotlin", "swift"];

fn language_classes() -> &'static [String] {
    static CLASSES: LazyLock<Vec<String>> = LazyLock::new(|| {
        highlight::languages()
            .chain(PLAIN_LANGUAGES)
            .map(|language| format!("language-{language}"))
            .collect()
    });
    &CLASSES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_usual_markdown() {
        let html = render_markdown("# Title\n\n- one\n- **two**\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n\n```rust\nfn main() {}\n```\n");
        for needle in [
            "<h1>Title</h1>",
            "<li><strong>two</strong></li>",
            "<table>",
            "<th class=\"align-center\">b</th>",
            "<td class=\"align-center\">2</td>",
            "<code class=\"language-rust\"><span class=\"hl-keyword\">fn</span> ",
        ] {
            assert!(html.contains(needle), "missing {needle} in {html}");
        }
    }

    #[test]
    fn tables_keep_their_alignment_as_classes_never_styles() {
        let html = render_markdown("| l | c | r | n |\n|:--|:-:|--:|---|\n| 1 | 2 | 3 | 4 |\n");
        for needle in [
            "<th class=\"align-left\">l</th>",
            "<th class=\"align-center\">c</th>",
            "<th class=\"align-right\">r</th>",
            "<th>n</th>",
            "<td class=\"align-left\">1</td>",
            "<td class=\"align-right\">3</td>",
            "<td>4</td>",
        ] {
            assert!(html.contains(needle), "missing {needle} in {html}");
        }
        assert!(!html.contains("style"), "{html}");
        // Raw HTML in an answer gets no style through, and no other class.
        let raw = render_markdown(
            "<table><tr><td style=\"color: red\" class=\"align-right evil\">x</td></tr></table>",
        );
        assert!(!raw.contains("style") && !raw.contains("evil"), "{raw}");
    }

    #[test]
    fn latex_becomes_mathml_without_style_or_script() {
        let html =
            render_markdown("Euler: $e^{i\\pi} + 1 = 0$, and\n\n$$\\frac{a}{b} = \\sqrt{x_1}$$\n");
        for needle in [
            "<math",
            "<msup><mi>e</mi>",
            "<mi>π</mi>",
            "<math display=\"block\"",
            "<mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac>",
            "<msqrt><mrow><msub><mi>x</mi><mn>1</mn></msub></mrow></msqrt>",
            "<annotation encoding=\"application/x-tex\">\\frac{a}{b} = \\sqrt{x_1}</annotation>",
        ] {
            assert!(html.contains(needle), "missing {needle} in {html}");
        }
        assert!(!html.contains("style="), "{html}");
        // MathML is no way around the sanitiser.
        let raw = render_markdown("<math><mi onclick=\"x()\" href=\"javascript:x()\">a</mi><script>x()</script><style>*{}</style></math>");
        assert!(
            !raw.contains("onclick")
                && !raw.contains("href")
                && !raw.contains("script")
                && !raw.contains("style"),
            "{raw}"
        );
        // Dollars that are not math stay text.
        assert!(render_markdown("It costs $5 and $10.").contains("It costs $5 and $10."));
    }

    #[test]
    fn links_keep_safe_schemes_only() {
        let html = render_markdown("[a](https://example.com) [b](javascript:alert(1)) [c](mailto:x@y.z) [d](file:///etc/passwd) [e](/relative)");
        assert!(
            html.contains(
                r#"<a href="https://example.com" rel="noopener noreferrer nofollow">a</a>"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"href="mailto:x@y.z""#));
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("file:"), "{html}");
        assert!(!html.contains("/relative"), "{html}");
    }

    #[test]
    fn raw_html_scripts_and_images_are_removed() {
        let html = render_markdown("hi <script>alert(1)</script><img src=x onerror=alert(1)> <b onclick=\"x()\">b</b> ![i](https://e.com/i.png)\n\n<iframe src=\"https://e.com\"></iframe>");
        for bad in ["<script", "onerror", "onclick", "<img", "<iframe"] {
            assert!(!html.contains(bad), "{bad} survived: {html}");
        }
        assert!(html.contains("<b>b</b>"));
    }

    #[test]
    fn an_image_in_an_answer_is_a_link_never_loaded() {
        let html = render_markdown("See ![the chart](https://e.com/c.png) and ![x](javascript:alert(1)) ![y](file:///etc/passwd)");
        assert!(!html.contains("<img"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://e.com/c.png" rel="noopener noreferrer nofollow">the chart</a>"#
            ),
            "{html}"
        );
        assert!(
            !html.contains("javascript:") && !html.contains("file:"),
            "{html}"
        );
    }

    #[test]
    fn unknown_classes_are_dropped() {
        let html = render_markdown("```evil\" onload=\"x\nx\n```");
        assert!(!html.contains("onload"), "{html}");
        assert!(!html.contains("language-evil"), "{html}");
    }

    /// What a browser shows as an element's text: the HTML without its tags, entities read.
    fn text_content(html: &str) -> String {
        let mut text = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
    }

    /// The inside of the first `<code …>` of a `<pre>`.
    fn code_of(html: &str) -> &str {
        let start = html.find("<pre><code").expect("a code block") + "<pre><code".len();
        let start = start + html[start..].find('>').expect("its tag's end") + 1;
        &html[start..start + html[start..].find("</code></pre>").expect("its end")]
    }

    const RUST: &str = "/// Doc <b>not bold</b> & more\nfn main() {\n    let s: &str = \"<i>\\\"hi\\\"</i>\";\n    println!(\"{s} {}\", 0x2A + 'é' as u32); // x < y\n}\n";

    #[test]
    fn fenced_rust_gets_token_classes_and_keeps_its_text() {
        let html = render_markdown(&format!("Here:\n\n```rust\n{RUST}```\n"));
        let code = code_of(&html);
        for needle in [
            "<span class=\"hl-keyword\">fn</span> ",
            "<span class=\"hl-function\">main</span>",
            "<span class=\"hl-comment\">/// Doc &lt;b&gt;not bold&lt;/b&gt; &amp; more</span>",
            "<span class=\"hl-number\">0x2A",
            "<span class=\"hl-punctuation\">",
            "<span class=\"hl-string\">\"&lt;i&gt;",
        ] {
            assert!(code.contains(needle), "missing {needle} in {code}");
        }
        assert_eq!(text_content(code), RUST);
        assert!(
            html.contains("<pre><code class=\"language-rust\">"),
            "{html}"
        );
        assert!(!html.contains("style"), "{html}");
        // Code that looks like markup stays text.
        let tags =
            render_markdown("```html\n<script>alert(1)</script><img src=x onerror=y>\n```\n");
        assert!(
            !tags.contains("<script") && !tags.contains("<img"),
            "{tags}"
        );
        assert!(tags.contains("<span class=\"hl-tag\">"), "{tags}");
        assert_eq!(
            text_content(code_of(&tags)),
            "<script>alert(1)</script><img src=x onerror=y>\n"
        );
    }

    #[test]
    fn aliases_choose_the_grammar_and_keep_their_label() {
        for (fence, keyword) in [
            ("py", "def"),
            ("PY", "def"),
            ("js", "function"),
            ("ts", "function"),
            ("sh", "if"),
            ("c++", "void"),
            ("yml", "true"),
        ] {
            let html = render_markdown(&format!(
                "```{fence}\n{keyword} f() {{ return 1 }}\nx: true\n```\n"
            ));
            assert!(html.contains("<span class=\"hl-"), "{fence}: {html}");
            // The label keeps the fence's spelling; only lower case is on the allow-list.
            assert!(
                html.contains(&format!("<code class=\"language-{fence}\">")) || fence == "PY",
                "{fence}: {html}"
            );
        }
    }

    #[test]
    fn code_without_a_known_language_stays_plain() {
        for markdown in [
            "```brainfuck\nfn main() { \"x\" }\n```\n",
            "```\nfn main() { \"x\" }\n```\n",
            "    fn main() { \"x\" }\n",
            "```text\nfn main() { \"x\" }\n```\n",
            "Inline `fn main() {}` code.\n",
        ] {
            let html = render_markdown(markdown);
            assert!(!html.contains("<span"), "{markdown}: {html}");
            assert!(html.contains("fn main() {"), "{markdown}: {html}");
        }
    }

    #[test]
    fn huge_code_blocks_stay_plain() {
        let plain = |html: &str| !html.contains("<span");
        // Past 5,000 lines, though small.
        let lines = "x\n".repeat(5_001);
        assert!(plain(&render_markdown(&format!("```rust\n{lines}```\n"))));
        assert!(!plain(&render_markdown(&format!(
            "```rust\nfn f() {{}}\n{}```\n",
            "x\n".repeat(4_990)
        ))));
        // Past 100 KiB, in a few lines.
        let wide = format!("// {}\nfn f() {{}}\n", "x".repeat(100 * 1024));
        let html = render_markdown(&format!("```rust\n{wide}```\n"));
        assert!(plain(&html));
        assert_eq!(text_content(code_of(&html)), wide);
    }

    #[test]
    fn raw_spans_keep_no_style_no_handler_and_no_other_class() {
        let html = render_markdown(concat!(
            "<span class=\"x\" style=\"color: red\">a</span> <span onclick=\"x()\">b</span> ",
            "<span class=\"hl-keyword evil\" style=\"x\" onmouseover=\"y()\">c</span>\n\n",
            "<pre><code class=\"language-rust\"><span class=\"hl-string hl-x\" ",
            "onclick=\"x()\" style=\"x\">d</span></code></pre>\n",
        ));
        for bad in [
            "style",
            "onclick",
            "onmouseover",
            "evil",
            "hl-x",
            "\"x\"",
            "x()",
        ] {
            assert!(!html.contains(bad), "{bad} survived: {html}");
        }
        for good in [
            ">a</span>",
            "<span>b</span>",
            "<span class=\"hl-keyword\">c</span>",
            "<span class=\"hl-string\">d</span>",
        ] {
            assert!(html.contains(good), "missing {good} in {html}");
        }
    }
}
