//! What the generated messages say: questions and Markdown answers (headings, lists, code,
//! tables, links, bold) in English and Russian, of varied length, built from fixed pools
//! so the same seed gives the same text. Knows nothing about the store.

use crate::rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ru,
}

struct Topic {
    en: &'static str,
    ru: &'static str,
    terms_en: &'static [&'static str],
    terms_ru: &'static [&'static str],
    /// A code block's language and bodies, for technical topics.
    code: Option<(&'static str, &'static [&'static str])>,
}

const RUST_CODE: &[&str] = &[
    "fn main() {\n    let words = vec![\"alpha\", \"beta\", \"gamma\"];\n    for (i, w) in words.iter().enumerate() {\n        println!(\"{i}: {w}\");\n    }\n}",
    "use std::collections::HashMap;\n\nfn count(text: &str) -> HashMap<&str, usize> {\n    let mut map = HashMap::new();\n    for word in text.split_whitespace() {\n        *map.entry(word).or_insert(0) += 1;\n    }\n    map\n}",
    "#[derive(Debug, thiserror::Error)]\npub enum Error {\n    #[error(\"not found: {0}\")]\n    NotFound(String),\n    #[error(transparent)]\n    Io(#[from] std::io::Error),\n}",
    "async fn fetch(client: &reqwest::Client, url: &str) -> reqwest::Result<String> {\n    client.get(url).send().await?.error_for_status()?.text().await\n}",
];
const PYTHON_CODE: &[&str] = &[
    "import csv\n\nwith open(\"data.csv\", newline=\"\") as f:\n    rows = list(csv.DictReader(f))\nprint(len(rows), \"rows\")",
    "def chunks(items, size):\n    for i in range(0, len(items), size):\n        yield items[i:i + size]\n\nfor batch in chunks(list(range(10)), 3):\n    print(batch)",
    "from dataclasses import dataclass\n\n@dataclass\nclass Point:\n    x: float\n    y: float\n\n    def norm(self) -> float:\n        return (self.x ** 2 + self.y ** 2) ** 0.5",
];
const SQL_CODE: &[&str] = &[
    "CREATE INDEX orders_by_customer ON orders(customer_id, created_at DESC);\n\nSELECT id, total\nFROM orders\nWHERE customer_id = ?1\nORDER BY created_at DESC\nLIMIT 20;",
    "BEGIN;\nUPDATE accounts SET balance = balance - 100 WHERE id = 1;\nUPDATE accounts SET balance = balance + 100 WHERE id = 2;\nCOMMIT;",
    "WITH recent AS (\n    SELECT user_id, COUNT(*) AS n\n    FROM events\n    WHERE ts > strftime('%s', 'now', '-7 days')\n    GROUP BY user_id\n)\nSELECT * FROM recent ORDER BY n DESC LIMIT 10;",
];
const SHELL_CODE: &[&str] = &[
    "docker build -t myapp:latest .\ndocker run --rm -p 8080:8080 myapp:latest",
    "git fetch origin\ngit rebase origin/main\ngit push --force-with-lease",
    "find . -name '*.log' -mtime +14 -delete\ndu -sh /var/log",
    "kubectl get pods -n production\nkubectl logs deploy/api --tail=100 -f",
];
const JS_CODE: &[&str] = &[
    "const debounce = (fn, ms) => {\n  let timer;\n  return (...args) => {\n    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), ms);\n  };\n};",
    "const res = await fetch('/api/items');\nif (!res.ok) throw new Error(`HTTP ${res.status}`);\nconst items = await res.json();",
    "document.querySelectorAll('li').forEach((li, i) => {\n  li.dataset.index = String(i);\n});",
];

const TOPICS: &[Topic] = &[
    Topic {
        en: "Rust",
        ru: "Rust",
        terms_en: &[
            "lifetimes",
            "borrow checker",
            "error handling",
            "async runtimes",
            "traits",
            "iterators",
            "smart pointers",
            "cargo workspaces",
        ],
        terms_ru: &[
            "времена жизни",
            "проверка заимствований",
            "обработка ошибок",
            "асинхронность",
            "трейты",
            "итераторы",
            "умные указатели",
            "рабочие пространства cargo",
        ],
        code: Some(("rust", RUST_CODE)),
    },
    Topic {
        en: "Python",
        ru: "Python",
        terms_en: &[
            "virtual environments",
            "type hints",
            "generators",
            "decorators",
            "dataclasses",
            "asyncio",
            "packaging",
            "list comprehensions",
        ],
        terms_ru: &[
            "виртуальные окружения",
            "аннотации типов",
            "генераторы",
            "декораторы",
            "датаклассы",
            "asyncio",
            "упаковка пакетов",
            "списковые включения",
        ],
        code: Some(("python", PYTHON_CODE)),
    },
    Topic {
        en: "SQLite",
        ru: "SQLite",
        terms_en: &[
            "indexes",
            "transactions",
            "WAL mode",
            "full-text search",
            "query plans",
            "migrations",
            "foreign keys",
            "vacuum",
        ],
        terms_ru: &[
            "индексы",
            "транзакции",
            "режим WAL",
            "полнотекстовый поиск",
            "план запроса",
            "миграции",
            "внешние ключи",
            "очистка базы",
        ],
        code: Some(("sql", SQL_CODE)),
    },
    Topic {
        en: "Docker",
        ru: "Docker",
        terms_en: &[
            "image layers",
            "volumes",
            "networking",
            "multi-stage builds",
            "compose files",
            "health checks",
            "build cache",
        ],
        terms_ru: &[
            "слои образа",
            "тома",
            "сети",
            "многоэтапная сборка",
            "файлы compose",
            "проверки здоровья",
            "кэш сборки",
        ],
        code: Some(("sh", SHELL_CODE)),
    },
    Topic {
        en: "Git",
        ru: "Git",
        terms_en: &[
            "rebasing",
            "merge conflicts",
            "branches",
            "stashing",
            "bisect",
            "submodules",
            "commit history",
        ],
        terms_ru: &[
            "перебазирование",
            "конфликты слияния",
            "ветки",
            "отложенные изменения",
            "bisect",
            "подмодули",
            "история коммитов",
        ],
        code: Some(("sh", SHELL_CODE)),
    },
    Topic {
        en: "JavaScript",
        ru: "JavaScript",
        terms_en: &[
            "promises",
            "closures",
            "event loop",
            "modules",
            "debouncing",
            "the DOM",
            "fetch requests",
        ],
        terms_ru: &[
            "промисы",
            "замыкания",
            "цикл событий",
            "модули",
            "дебаунс",
            "DOM",
            "запросы fetch",
        ],
        code: Some(("js", JS_CODE)),
    },
    Topic {
        en: "Kubernetes",
        ru: "Kubernetes",
        terms_en: &[
            "deployments",
            "pods",
            "config maps",
            "autoscaling",
            "ingress",
            "resource limits",
        ],
        terms_ru: &[
            "развёртывания",
            "поды",
            "карты конфигурации",
            "автомасштабирование",
            "ingress",
            "лимиты ресурсов",
        ],
        code: Some(("sh", SHELL_CODE)),
    },
    Topic {
        en: "photography",
        ru: "фотография",
        terms_en: &[
            "exposure",
            "aperture",
            "shutter speed",
            "white balance",
            "composition",
            "portrait lighting",
            "lens choice",
        ],
        terms_ru: &[
            "экспозиция",
            "диафрагма",
            "выдержка",
            "баланс белого",
            "композиция",
            "портретный свет",
            "выбор объектива",
        ],
        code: None,
    },
    Topic {
        en: "cooking",
        ru: "кулинария",
        terms_en: &[
            "sourdough bread",
            "knife skills",
            "tomato sauce",
            "roasting vegetables",
            "meal planning",
            "spices",
            "fermentation",
        ],
        terms_ru: &[
            "хлеб на закваске",
            "работа ножом",
            "томатный соус",
            "запекание овощей",
            "планирование меню",
            "специи",
            "ферментация",
        ],
        code: None,
    },
    Topic {
        en: "travel",
        ru: "путешествия",
        terms_en: &[
            "train tickets",
            "packing lists",
            "travel insurance",
            "visa rules",
            "budget hotels",
            "jet lag",
        ],
        terms_ru: &[
            "билеты на поезд",
            "список вещей",
            "страховка",
            "визовые правила",
            "недорогие гостиницы",
            "смена часовых поясов",
        ],
        code: None,
    },
    Topic {
        en: "gardening",
        ru: "садоводство",
        terms_en: &[
            "tomato seedlings",
            "compost",
            "pruning roses",
            "watering schedule",
            "soil acidity",
            "raised beds",
        ],
        terms_ru: &[
            "рассада томатов",
            "компост",
            "обрезка роз",
            "график полива",
            "кислотность почвы",
            "высокие грядки",
        ],
        code: None,
    },
    Topic {
        en: "personal finance",
        ru: "личные финансы",
        terms_en: &[
            "emergency fund",
            "index funds",
            "budgeting",
            "mortgage rates",
            "compound interest",
            "tax deductions",
        ],
        terms_ru: &[
            "подушка безопасности",
            "индексные фонды",
            "бюджет",
            "ставка по ипотеке",
            "сложный процент",
            "налоговые вычеты",
        ],
        code: None,
    },
    Topic {
        en: "astronomy",
        ru: "астрономия",
        terms_en: &[
            "telescope eyepieces",
            "the Andromeda galaxy",
            "meteor showers",
            "light pollution",
            "lunar phases",
            "planet tracking",
        ],
        terms_ru: &[
            "окуляры телескопа",
            "галактика Андромеды",
            "метеорные потоки",
            "световое загрязнение",
            "фазы Луны",
            "наблюдение планет",
        ],
        code: None,
    },
    Topic {
        en: "running",
        ru: "бег",
        terms_en: &[
            "interval training",
            "running shoes",
            "marathon pacing",
            "knee pain",
            "recovery days",
            "heart rate zones",
        ],
        terms_ru: &[
            "интервальные тренировки",
            "беговые кроссовки",
            "темп на марафоне",
            "боль в колене",
            "дни восстановления",
            "пульсовые зоны",
        ],
        code: None,
    },
];

const Q_EN: &[&str] = &[
    "How does {t} work in {topic}?",
    "What is the best way to deal with {t} in {topic}?",
    "Can you explain {t} with a short example?",
    "I keep running into trouble with {t} when working on {topic}. What am I doing wrong?",
    "Compare {t} and {t2} in {topic}: when should I use each?",
    "Give me a checklist for {t}, please.",
    "Is {t} really worth the effort for a beginner in {topic}?",
    "What does this picture tell you about {t}?",
];
const Q_RU: &[&str] = &[
    "{topic}: как работает {t}?",
    "{topic}: как лучше всего разобраться с темой «{t}»?",
    "Объясни, пожалуйста, {t} на простом примере ({topic}).",
    "У меня постоянно проблемы с темой «{t}» ({topic}). Что я делаю не так?",
    "{topic}: в чём разница между «{t}» и «{t2}»?",
    "Составь, пожалуйста, чек-лист: {t}.",
    "Стоит ли новичку тратить время на {t}?",
    "Что на этой картинке говорит о теме «{t}»?",
];
const CONTEXT_EN: &[&str] = &[
    "I am working on a small project at home.",
    "The documentation was not clear to me.",
    "I have about two hours for this tonight.",
    "My colleague suggested a different approach, and now I am confused.",
    "Please keep the answer short and practical.",
    "It worked yesterday, but today it fails for no obvious reason.",
    "I'm on Linux, if that matters.",
    "I read three blog posts and they all disagree.",
    "This is for a presentation on Friday.",
    "Assume I already know the basics.",
    "Last time I tried, it took forever.",
    "Could you also mention the common mistakes?",
];
const CONTEXT_RU: &[&str] = &[
    "Я работаю над небольшим проектом дома.",
    "Документация показалась мне непонятной.",
    "У меня есть около двух часов сегодня вечером.",
    "Коллега предложил другой подход, и теперь я запутался.",
    "Ответь, пожалуйста, коротко и по делу.",
    "Вчера всё работало, а сегодня нет, и непонятно почему.",
    "Если важно, у меня Linux.",
    "Я прочитал три статьи, и все они противоречат друг другу.",
    "Это нужно для презентации в пятницу.",
    "Считай, что основы я уже знаю.",
    "В прошлый раз это заняло целую вечность.",
    "Упомяни, пожалуйста, и типичные ошибки.",
];

const HEADINGS_EN: &[&str] = &[
    "Overview",
    "Step by step",
    "An example",
    "Common mistakes",
    "What to check first",
    "Details",
    "Trade-offs",
    "Summary",
];
const HEADINGS_RU: &[&str] = &[
    "Обзор",
    "По шагам",
    "Пример",
    "Типичные ошибки",
    "Что проверить сначала",
    "Подробности",
    "Плюсы и минусы",
    "Итог",
];
const SENTENCES_EN: &[&str] = &[
    "The key idea behind {t} is to make the common case simple and the rare case possible.",
    "Most problems with {t} come from doing too much at once, so start small.",
    "In {topic}, {t} and {t2} are closely related, and it helps to learn them together.",
    "Measure before you change anything: intuition about {t} is often wrong.",
    "A good rule of thumb is to keep {t} boring and predictable.",
    "If something breaks, undo the last change and try again with a smaller step.",
    "People who are new to {topic} often skip {t2}, and regret it later.",
    "There is no single right answer here; it depends on how much time you have.",
    "Write down what you tried, so you do not repeat the same experiment twice.",
    "The defaults are sensible for most cases, so change them only with a reason.",
];
const SENTENCES_RU: &[&str] = &[
    "Главная идея темы «{t}»: обычный случай должен быть простым, а редкий возможным.",
    "Большинство проблем с темой «{t}» возникает, когда делаешь слишком много сразу, поэтому начни с малого.",
    "В теме «{topic}» понятия «{t}» и «{t2}» тесно связаны, их удобно изучать вместе.",
    "Сначала измерь, потом меняй: интуиция насчёт «{t}» часто обманывает.",
    "Хорошее правило: пусть «{t}» будет скучным и предсказуемым.",
    "Если что-то сломалось, отмени последнее изменение и попробуй ещё раз меньшим шагом.",
    "Новички в теме «{topic}» часто пропускают «{t2}» и потом жалеют об этом.",
    "Единственно верного ответа нет: всё зависит от того, сколько у тебя времени.",
    "Записывай, что уже пробовал, чтобы не повторять один и тот же опыт дважды.",
    "Значения по умолчанию разумны в большинстве случаев, меняй их только с причиной.",
];
const STEPS_EN: &[&str] = &[
    "Read the error message to the end",
    "Reproduce the problem on a tiny example",
    "Check the versions you are using",
    "Change one thing at a time",
    "Write the result down",
    "Ask someone to review the change",
    "Clean up and try again",
];
const STEPS_RU: &[&str] = &[
    "Дочитай сообщение об ошибке до конца",
    "Воспроизведи проблему на маленьком примере",
    "Проверь версии, которые используешь",
    "Меняй что-то одно за раз",
    "Запиши результат",
    "Попроси кого-нибудь посмотреть изменения",
    "Наведи порядок и попробуй снова",
];

/// Everything one conversation talks about: a language (one per conversation, the big
/// one mixes them per message) and a topic.
pub struct Theme {
    pub lang: Lang,
    topic: usize,
}

impl Theme {
    pub fn random(rng: &mut Rng, russian_percent: u64) -> Self {
        Self {
            lang: if rng.chance(russian_percent) {
                Lang::Ru
            } else {
                Lang::En
            },
            topic: rng.below(TOPICS.len() as u64) as usize,
        }
    }

    fn topic(&self) -> &'static Topic {
        &TOPICS[self.topic]
    }

    fn terms(&self) -> &'static [&'static str] {
        match self.lang {
            Lang::En => self.topic().terms_en,
            Lang::Ru => self.topic().terms_ru,
        }
    }

    fn topic_name(&self) -> &'static str {
        match self.lang {
            Lang::En => self.topic().en,
            Lang::Ru => self.topic().ru,
        }
    }

    /// Replaces `{t}`, `{t2}` (two different terms when there are two) and `{topic}`.
    fn fill(&self, rng: &mut Rng, template: &str) -> String {
        let terms = self.terms();
        let i = rng.below(terms.len() as u64) as usize;
        let j = (i + 1 + rng.below(terms.len() as u64 - 1) as usize) % terms.len();
        template
            .replace("{t2}", terms[j])
            .replace("{t}", terms[i])
            .replace("{topic}", self.topic_name())
    }

    /// One of `templates`, filled in.
    fn say(&self, rng: &mut Rng, templates: &[&'static str]) -> String {
        let template = rng_pick(rng, templates);
        self.fill(rng, template)
    }

    /// A question of about `len` characters: one asking sentence, then context.
    pub fn question(&self, rng: &mut Rng, len: usize) -> String {
        let (asks, context) = match self.lang {
            Lang::En => (Q_EN, CONTEXT_EN),
            Lang::Ru => (Q_RU, CONTEXT_RU),
        };
        let mut out = self.say(rng, asks);
        // Context sentences in a row from a random start, so none repeats before all are used.
        let mut next = rng.below(context.len() as u64) as usize;
        while out.chars().count() < len {
            out.push(' ');
            out.push_str(context[next % context.len()]);
            next += 1;
        }
        out
    }

    /// A Markdown answer of about `len` characters (it stops at the first block past it).
    pub fn answer(&self, rng: &mut Rng, len: usize) -> String {
        let ru = self.lang == Lang::Ru;
        let mut out = self.fill(
            rng,
            if ru {
                "Коротко: **{t}** во многом связано с темой «{t2}». Вот как я бы подошёл к этому."
            } else {
                "Short answer: **{t}** is mostly about {t2}. Here is how I would approach it."
            },
        );
        let mut used_code = false;
        while out.chars().count() < len {
            out.push_str("\n\n");
            let block = match rng.below(7) {
                0 => self.heading(rng),
                1 => self.bullets(rng),
                2 => self.steps(rng),
                3 if !used_code && self.topic().code.is_some() => {
                    used_code = true;
                    self.code(rng)
                }
                4 => self.table(rng),
                5 => self.link(rng),
                _ => self.paragraph(rng),
            };
            out.push_str(&block);
        }
        out
    }

    fn sentences(&self) -> &'static [&'static str] {
        match self.lang {
            Lang::En => SENTENCES_EN,
            Lang::Ru => SENTENCES_RU,
        }
    }

    fn paragraph(&self, rng: &mut Rng) -> String {
        let n = rng.between(1, 3);
        let parts: Vec<String> = (0..n).map(|_| self.say(rng, self.sentences())).collect();
        parts.join(" ")
    }

    fn heading(&self, rng: &mut Rng) -> String {
        let names = match self.lang {
            Lang::En => HEADINGS_EN,
            Lang::Ru => HEADINGS_RU,
        };
        let level = if rng.chance(70) { "##" } else { "###" };
        format!(
            "{level} {}\n\n{}",
            rng_pick(rng, names),
            self.paragraph(rng)
        )
    }

    fn bullets(&self, rng: &mut Rng) -> String {
        let terms = self.terms();
        (0..rng.between(3, 6))
            .map(|_| {
                let term = rng_pick(rng, terms);
                let sentence = self.say(rng, self.sentences());
                format!("- **{}**: {sentence}", capitalise(term))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn steps(&self, rng: &mut Rng) -> String {
        let steps = match self.lang {
            Lang::En => STEPS_EN,
            Lang::Ru => STEPS_RU,
        };
        (1..=rng.between(3, 6))
            .map(|i| format!("{i}. {}.", rng_pick(rng, steps)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn code(&self, rng: &mut Rng) -> String {
        let Some((lang, bodies)) = self.topic().code else {
            return self.paragraph(rng);
        };
        let intro = match self.lang {
            Lang::En => "For example:",
            Lang::Ru => "Например:",
        };
        format!("{intro}\n\n```{lang}\n{}\n```", rng_pick(rng, bodies))
    }

    fn table(&self, rng: &mut Rng) -> String {
        let ru = self.lang == Lang::Ru;
        let head = if ru {
            "| Вариант | Когда подходит | Сложность |\n|---|---|---|"
        } else {
            "| Option | When it fits | Effort |\n|---|---|---|"
        };
        let when: &[&str] = if ru {
            &[
                "для начала",
                "в больших проектах",
                "когда мало времени",
                "почти всегда",
                "редко",
            ]
        } else {
            &[
                "to get started",
                "in large projects",
                "when time is short",
                "almost always",
                "rarely",
            ]
        };
        let effort: &[&str] = if ru {
            &["низкая", "средняя", "высокая"]
        } else {
            &["low", "medium", "high"]
        };
        let rows: Vec<String> = (0..rng.between(2, 5))
            .map(|_| {
                format!(
                    "| {} | {} | {} |",
                    capitalise(rng_pick(rng, self.terms())),
                    rng_pick(rng, when),
                    rng_pick(rng, effort)
                )
            })
            .collect();
        format!("{head}\n{}", rows.join("\n"))
    }

    fn link(&self, rng: &mut Rng) -> String {
        let term = rng_pick(rng, self.terms());
        let slug: String = term
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let slug = if slug.trim_matches('-').is_empty() {
            "guide".to_owned()
        } else {
            slug
        };
        let site = self.topic().en.to_lowercase().replace(' ', "-");
        match self.lang {
            Lang::En => format!(
                "See the [{site} guide](https://example.org/{site}/{slug}) for details, and the **official documentation** for the exact rules."
            ),
            Lang::Ru => format!(
                "Подробности есть в [руководстве](https://example.org/{site}/{slug}), а точные правила в **официальной документации**."
            ),
        }
    }
}

fn rng_pick(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    items[rng.below(items.len() as u64) as usize]
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Lang, Theme};
    use crate::rng::Rng;

    #[test]
    fn texts_reach_their_length_and_answers_are_markdown() {
        let mut rng = Rng::new(1);
        let mut saw = (false, false, false);
        for lang in [Lang::En, Lang::Ru] {
            for topic in 0..super::TOPICS.len() {
                let theme = Theme { lang, topic };
                let q = theme.question(&mut rng, 150);
                assert!(q.chars().count() >= 150, "{q}");
                let a = theme.answer(&mut rng, 2500);
                assert!(a.chars().count() >= 2500);
                assert!(a.contains("**"));
                saw.0 |= a.contains("```");
                saw.1 |= a.contains("|---|");
                saw.2 |= a.contains("](https://");
                assert!(!a.contains("{t") && !a.contains("{topic}"), "{a}");
                assert!(!q.contains("{t") && !q.contains("{topic}"), "{q}");
            }
        }
        assert_eq!(saw, (true, true, true));
    }
}
