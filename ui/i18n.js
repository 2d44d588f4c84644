// Interface strings from ui/i18n/<lang>.json; `t(key, vars)` fills {placeholders}.
// A plural entry is an object of CLDR forms ({ one, few, many, other }) chosen by
// Intl.PluralRules for `vars.n`, whose {n} is written as a number of the language.
// Dates and numbers are formatted for the active language (`dateFormat`, `formatNumber`).
// Elements carry their keys in data-i18n (text), data-i18n-placeholder, data-i18n-title
// (title and accessible name) and data-i18n-aria-label; `loadStrings` fills them all,
// again whenever the language changes.

/** The interface languages; the first is the fallback. */
export const LANGUAGES = ['en', 'ru'];

let strings = {};
let fallback = {};
// The fallback table is always needed: its fetch starts with this module, beside the
// start's first calls to the backend.
let fallbackLoading = fetchTable(LANGUAGES[0]);
let lang = 'en';
// Made when first needed: the first Intl object of a page costs milliseconds (its locale
// data loads), and a start with an empty history shows no count, number or date.
let plurals = null;
let numbers = null;
const dateFormats = new Map();

async function fetchTable(code) {
  const res = await fetch(`i18n/${code}.json`);
  if (!res.ok) throw new Error(`i18n/${code}.json: ${res.status}`);
  return res.json();
}

/** The language to show for a `language` setting ("system", "en", "ru"); "system"
 *  takes the first of `systemLocales` the app speaks, else English. */
export function resolveLanguage(setting = 'system', systemLocales = navigator.languages || [navigator.language]) {
  if (LANGUAGES.includes(setting)) return setting;
  for (const locale of systemLocales) {
    const code = String(locale || '').toLowerCase().split(/[-_.@]/)[0];
    if (LANGUAGES.includes(code)) return code;
  }
  return LANGUAGES[0];
}

/** Loads the strings of `code` and applies them to the whole document. */
export async function loadStrings(code = 'en') {
  const next = LANGUAGES.includes(code) ? code : LANGUAGES[0];
  // Both tables at once (the fallback is fetched once; a failed fetch is tried again).
  const [base, own] = await Promise.all([
    fallbackLoading.catch(() => (fallbackLoading = fetchTable(LANGUAGES[0]))),
    next === LANGUAGES[0] ? null : fetchTable(next),
  ]);
  fallback = base;
  strings = own ?? fallback;
  lang = next;
  plurals = null;
  numbers = null;
  dateFormats.clear();
  document.documentElement.lang = lang;
  translate(document);
}

/** Fills every element under `root` that names its strings in data-i18n* attributes. */
export function translate(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder);
  for (const el of root.querySelectorAll('[data-i18n-title]')) {
    el.title = t(el.dataset.i18nTitle);
    el.setAttribute('aria-label', el.title);
  }
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
}

/** Whether the active language has its own string for `key` (not the fallback's). */
export const hasOwn = (key) => lang !== LANGUAGES[0] && strings[key] != null;

/** The active language ("en", "ru"): the locale given to Intl. */
export const locale = () => lang;

export function t(key, vars = {}) {
  let s = strings[key] ?? fallback[key] ?? key;
  let values = vars;
  if (s && typeof s === 'object') {
    const n = Number(vars.n);
    plurals ??= new Intl.PluralRules(lang);
    s = s[plurals.select(n)] ?? s.other ?? key;
    values = { ...vars, n: formatNumber(n) };
  }
  return s.replace(/\{(\w+)\}/g, (_, k) => (k in values ? String(values[k]) : `{${k}}`));
}

/** `n` written the way the active language writes numbers (1,234.5 / 1 234,5). */
export function formatNumber(n, options) {
  if (options) return new Intl.NumberFormat(lang, options).format(n);
  numbers ??= new Intl.NumberFormat(lang);
  return numbers.format(n);
}

/** An Intl.DateTimeFormat of the active language (cached per options). */
export function dateFormat(options) {
  const key = JSON.stringify(options);
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang, options);
    dateFormats.set(key, f);
  }
  return f;
}
