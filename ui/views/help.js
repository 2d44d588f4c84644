// Two small dialogs reached from the sidebar's footer: "Keyboard shortcuts" (also
// Ctrl+/ or Cmd+/) and "About" (version, data and log folders, each with a button that
// shows it in the file manager). Built here, translated like the rest (data-i18n).

import { h, $, errorText, panel, showPanel } from '../dom.js';
import { t, translate } from '../i18n.js';
import { openDataFolder, openLogsFolder } from '../api.js';

let shortcutsDialog;
let aboutDialog;
let info;

/** The shortcuts as [label key, keys]; `mod` is the platform's command key. */
function shortcutRows(mod) {
  return [
    ['shortcuts.newConversation', [mod, 'N']],
    ['shortcuts.search', [mod, 'K']],
    ['shortcuts.send', ['Enter']],
    ['shortcuts.newLine', ['Shift', 'Enter']],
    ['shortcuts.stop', ['Esc']],
    ['shortcuts.editLast', ['↑']],
    ['shortcuts.attach', [mod, 'O']],
    ['shortcuts.paste', [mod, 'V']],
    ['shortcuts.settings', [mod, ',']],
    ['shortcuts.sidebar', [mod, 'B']],
    ['shortcuts.zoom', [mod, '='], [mod, '-']],
    ['shortcuts.shortcuts', [mod, '/']],
    ['shortcuts.oldestLatest', ['Home'], ['End']],
    ['shortcuts.listMove', ['↑'], ['↓']],
    ['shortcuts.rename', ['F2']],
    ['shortcuts.delete', ['Delete']],
  ];
}

/** `appInfo`: what `app_info` returned; `isMac`: Cmd in place of Ctrl. */
export function initHelp(appInfo, isMac) {
  info = appInfo;
  const mod = isMac ? '⌘' : 'Ctrl';
  shortcutsDialog = panel('shortcuts', 'shortcuts.title',
    h('table', { class: 'shortcuts', testid: 'shortcuts-table' },
      h('tbody', {}, shortcutRows(mod).map(([key, ...combos]) => h('tr', { testid: 'shortcut' },
        h('th', { scope: 'row', 'data-i18n': key }),
        h('td', {}, combos.map((keys, i) => [
          i ? h('span', { class: 'or', 'data-i18n': 'shortcuts.or' }) : null,
          h('span', { class: 'combo' }, keys.map((k) => h('kbd', {}, k))),
        ])))))));
  aboutDialog = panel('about', 'about.title',
    h('div', { class: 'about-head' },
      h('img', { src: 'logo.png', alt: '', width: '56', height: '56' }),
      h('div', {},
        h('strong', { class: 'about-name', 'data-i18n': 'about.name' }),
        h('span', { class: 'about-version', testid: 'about-version' }, info.version))),
    h('p', { class: 'about-text', 'data-i18n': 'about.text' }),
    folder('data', info.dataDir, openDataFolder),
    folder('logs', info.logDir, openLogsFolder));
  document.body.append(shortcutsDialog, aboutDialog);
  translate(shortcutsDialog);
  translate(aboutDialog);
  $('[data-testid="shortcuts-button"]').addEventListener('click', showShortcuts);
  $('[data-testid="about-button"]').addEventListener('click', showAbout);
}

export const showShortcuts = () => show(shortcutsDialog);
export const showAbout = () => show(aboutDialog);

function folder(which, path, open) {
  const result = h('small', { class: 'error', testid: `about-${which}-result`, role: 'alert' });
  return h('div', { class: 'about-folder' },
    h('span', { class: 'about-label', 'data-i18n': `about.${which}Folder` }),
    h('code', { testid: `about-${which}-dir` }, path),
    h('button', {
      type: 'button', class: 'ghost small outlined', testid: `about-open-${which}`, 'data-i18n': 'about.open',
      onClick: async () => {
        result.textContent = '';
        try {
          await open();
        } catch (e) {
          result.textContent = t('about.openFailed', { reason: errorText(e) });
        }
      },
    }),
    result);
}

function show(dialog) {
  showPanel(dialog, dialog.querySelector('[data-testid$="-close"]'));
}
