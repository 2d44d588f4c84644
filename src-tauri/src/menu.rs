//! The macOS menu bar: the app, File, Edit, View, Window and Help menus. Our own items do
//! what the UI's keyboard shortcuts do, by emitting [`EVENT`] with the action's name; the
//! standard ones (Copy, Paste, Hide, Quit…) are the system's. Installed on macOS only (see
//! `lib.rs`), but built and tested on every platform. Labels are English.
#![cfg_attr(not(target_os = "macos"), allow(dead_code))]

use tauri::menu::{
    Menu, MenuBuilder, MenuEvent, MenuItem, MenuItemBuilder, PredefinedMenuItem, SubmenuBuilder,
    HELP_SUBMENU_ID, WINDOW_SUBMENU_ID,
};
use tauri::{App, AppHandle, Emitter as _, Manager, Runtime};

/// The event the UI listens to (`ui/main.js`); its payload is an action's name.
pub(crate) const EVENT: &str = "menu";

/// One of our own menu items.
struct Item {
    /// The menu item's id, unique in the menu.
    id: &'static str,
    /// What the UI is asked to do: the payload of [`EVENT`].
    action: &'static str,
    label: &'static str,
    /// The same keys as the UI's shortcut, so the menu shows them.
    accelerator: Option<&'static str>,
}

const fn item(id: &'static str, label: &'static str, accelerator: Option<&'static str>) -> Item {
    Item {
        id,
        action: id,
        label,
        accelerator,
    }
}

const ABOUT: Item = item("about", "About Dynaspark", None);
const SETTINGS: Item = item("settings", "Settings…", Some("CmdOrCtrl+,"));
const NEW_CONVERSATION: Item = item("new-conversation", "New Conversation", Some("CmdOrCtrl+N"));
const ATTACH: Item = item("attach", "Attach Image…", Some("CmdOrCtrl+O"));
const TOGGLE_SIDEBAR: Item = item("toggle-sidebar", "Toggle Sidebar", Some("CmdOrCtrl+B"));
const SEARCH: Item = item("search", "Search", Some("CmdOrCtrl+K"));
const SHORTCUTS: Item = item("shortcuts", "Keyboard Shortcuts", Some("CmdOrCtrl+/"));
/// Help's entry to the same list, without a second claim on its keys.
const HELP_SHORTCUTS: Item = Item {
    id: "help-shortcuts",
    action: "shortcuts",
    label: "Keyboard Shortcuts",
    accelerator: None,
};

const ITEMS: [&Item; 8] = [
    &ABOUT,
    &SETTINGS,
    &NEW_CONVERSATION,
    &ATTACH,
    &TOGGLE_SIDEBAR,
    &SEARCH,
    &SHORTCUTS,
    &HELP_SHORTCUTS,
];

fn build_item<R: Runtime, M: Manager<R>>(manager: &M, item: &Item) -> tauri::Result<MenuItem<R>> {
    let builder = MenuItemBuilder::with_id(item.id, item.label);
    match item.accelerator {
        Some(keys) => builder.accelerator(keys),
        None => builder,
    }
    .build(manager)
}

/// The menu bar as macOS apps have it.
pub(crate) fn build<R: Runtime, M: Manager<R>>(manager: &M) -> tauri::Result<Menu<R>> {
    let own = |item: &Item| build_item(manager, item);
    // macOS shows the app's name as this menu's title, whatever is written here.
    let app = SubmenuBuilder::new(manager, "Dynaspark")
        .item(&own(&ABOUT)?)
        .separator()
        .item(&own(&SETTINGS)?)
        .separator()
        .hide()
        .hide_others()
        .show_all()
        .separator()
        .quit()
        .build()?;
    let file = SubmenuBuilder::new(manager, "File")
        .item(&own(&NEW_CONVERSATION)?)
        .item(&own(&ATTACH)?)
        .separator()
        .close_window()
        .build()?;
    // Without these, Cmd+C, Cmd+V and the rest do nothing in the page on macOS.
    let edit = SubmenuBuilder::new(manager, "Edit")
        .undo()
        .redo()
        .separator()
        .cut()
        .copy()
        .paste()
        .select_all()
        .build()?;
    let view = SubmenuBuilder::new(manager, "View")
        .item(&own(&TOGGLE_SIDEBAR)?)
        .item(&own(&SEARCH)?)
        .item(&own(&SHORTCUTS)?)
        .separator()
        .item(&PredefinedMenuItem::fullscreen(
            manager,
            Some("Enter Full Screen"),
        )?)
        .build()?;
    // The well-known ids let macOS add its window list and Help search.
    let window = SubmenuBuilder::with_id(manager, WINDOW_SUBMENU_ID, "Window")
        .minimize()
        .item(&PredefinedMenuItem::maximize(manager, Some("Zoom"))?)
        .build()?;
    let help = SubmenuBuilder::with_id(manager, HELP_SUBMENU_ID, "Help")
        .item(&own(&HELP_SHORTCUTS)?)
        .build()?;
    MenuBuilder::new(manager)
        .items(&[&app, &file, &edit, &view, &window, &help])
        .build()
}

/// Sets the menu bar and passes its choices to the UI.
pub(crate) fn install<R: Runtime>(app: &App<R>) -> tauri::Result<()> {
    app.set_menu(build(app)?)?;
    app.on_menu_event(on_menu_event);
    Ok(())
}

/// Asks the UI to do what the chosen item says; the system's own items need nothing.
fn on_menu_event<R: Runtime>(app: &AppHandle<R>, event: MenuEvent) {
    let Some(item) = ITEMS.iter().find(|item| event.id() == item.id) else {
        return;
    };
    if let Err(e) = app.emit(EVENT, item.action) {
        tracing::warn!(error = %e, action = item.action, "menu choice not passed to the UI");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tauri::menu::{MenuId, MenuItemKind};
    use tauri::Listener as _;

    use super::*;

    /// Each submenu's title, well-known id (Window, Help) and items: our own by id, "-"
    /// for a separator, "*" for one of the system's (whose labels differ by platform).
    fn outline<R: Runtime>(menu: &Menu<R>) -> Vec<(String, Option<String>, Vec<String>)> {
        let entry = |kind: &MenuItemKind<R>| match kind {
            MenuItemKind::Predefined(p) if p.text().expect("text").is_empty() => "-".to_owned(),
            MenuItemKind::Predefined(_) => "*".to_owned(),
            other => other.id().as_ref().to_owned(),
        };
        menu.items()
            .expect("items")
            .iter()
            .map(|kind| {
                let MenuItemKind::Submenu(submenu) = kind else {
                    panic!("the bar holds submenus only");
                };
                let id = submenu.id().as_ref();
                (
                    submenu.text().expect("title"),
                    [WINDOW_SUBMENU_ID, HELP_SUBMENU_ID]
                        .contains(&id)
                        .then(|| id.to_owned()),
                    submenu.items().expect("items").iter().map(entry).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn the_menu_has_the_macos_menus_and_our_items() {
        let app = tauri::test::mock_app();
        let menu = build(&app).expect("the menu builds");
        let s = |items: &[&str]| items.iter().map(|i| (*i).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            outline(&menu),
            [
                (
                    "Dynaspark".to_owned(),
                    None,
                    s(&["about", "-", "settings", "-", "*", "*", "*", "-", "*"])
                ),
                (
                    "File".to_owned(),
                    None,
                    s(&["new-conversation", "attach", "-", "*"])
                ),
                (
                    "Edit".to_owned(),
                    None,
                    s(&["*", "*", "-", "*", "*", "*", "*"])
                ),
                (
                    "View".to_owned(),
                    None,
                    s(&["toggle-sidebar", "search", "shortcuts", "-", "*"])
                ),
                (
                    "Window".to_owned(),
                    Some(WINDOW_SUBMENU_ID.to_owned()),
                    s(&["*", "*"])
                ),
                (
                    "Help".to_owned(),
                    Some(HELP_SUBMENU_ID.to_owned()),
                    s(&["help-shortcuts"])
                ),
            ]
        );
        let labels: Vec<_> = menu
            .items()
            .expect("items")
            .iter()
            .filter_map(|kind| kind.as_submenu().and_then(|s| s.items().ok()))
            .flatten()
            .filter_map(|kind| Some(kind.as_menuitem()?.text().expect("text")))
            .collect();
        assert_eq!(
            labels,
            [
                "About Dynaspark",
                "Settings…",
                "New Conversation",
                "Attach Image…",
                "Toggle Sidebar",
                "Search",
                "Keyboard Shortcuts",
                "Keyboard Shortcuts"
            ]
        );
    }

    #[test]
    fn our_items_have_the_ui_shortcut_keys() {
        // Tauri drops an accelerator it cannot parse without a word: these are spelled as
        // its parser (muda) reads them, and match the shortcuts in ui/main.js.
        let keys: Vec<_> = ITEMS.iter().map(|i| (i.id, i.accelerator)).collect();
        assert_eq!(
            keys,
            [
                ("about", None),
                ("settings", Some("CmdOrCtrl+,")),
                ("new-conversation", Some("CmdOrCtrl+N")),
                ("attach", Some("CmdOrCtrl+O")),
                ("toggle-sidebar", Some("CmdOrCtrl+B")),
                ("search", Some("CmdOrCtrl+K")),
                ("shortcuts", Some("CmdOrCtrl+/")),
                ("help-shortcuts", None),
            ]
        );
        let ids: std::collections::BTreeSet<_> = ITEMS.iter().map(|i| i.id).collect();
        assert_eq!(ids.len(), ITEMS.len(), "item ids are unique");
    }

    #[test]
    fn every_action_is_one_the_ui_runs() {
        let main_js =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/main.js"))
                .expect("ui/main.js");
        for item in ITEMS {
            assert!(
                main_js.contains(&format!("'{}':", item.action)),
                "ui/main.js does not run the menu action {:?}",
                item.action
            );
        }
    }

    #[test]
    fn a_choice_reaches_the_ui_as_one_event() {
        let app = tauri::test::mock_app();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&seen);
        app.listen_any(EVENT, move |event| {
            sink.lock().expect("seen").push(event.payload().to_owned());
        });
        for id in ["attach", "help-shortcuts", "not-ours"] {
            on_menu_event(
                app.handle(),
                MenuEvent {
                    id: MenuId::new(id),
                },
            );
        }
        assert_eq!(*seen.lock().expect("seen"), ["\"attach\"", "\"shortcuts\""]);
    }

    #[test]
    fn installing_sets_the_app_menu() {
        let app = tauri::test::mock_app();
        install(&app).expect("installs");
        let menu = app.menu().expect("the app menu");
        assert_eq!(
            outline(&menu),
            outline(&build(&app).expect("the menu builds"))
        );
    }
}
