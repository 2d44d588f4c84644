//! Commands through the IPC on the mock runtime, as the page calls them: arguments in
//! camelCase, results and errors as JSON, the capability in force.

use fake_dynaspark::{HttpProxy, ProxyAuth};
use serde_json::{json, Value};

use crate::drops::Drops;
use tauri::Manager as _;

use crate::mock_app::MockApp;

/// A question saved in a new conversation (not asked), as `send_message` saves it.
fn send(app: &MockApp, text: &str) -> Value {
    let question = super::chat::tests::new_question(app, text);
    let sent = tauri::async_runtime::block_on(
        app.state()
            .with_history(move |h| super::chat::save_question(h, None, question)),
    );
    serde_json::to_value(sent.unwrap()).unwrap()
}

#[test]
fn get_settings_sends_no_password() {
    let app = MockApp::new(None);
    let view = app.invoke("get_settings", json!({})).unwrap();
    let defaults = serde_json::to_value(dynaspark_core::Settings::default()).unwrap();
    assert_eq!(
        view,
        json!({
            "settings": defaults,
            "defaults": defaults,
            "endpointOverride": null,
            "passwordSaved": false,
            "passwordStorage": "none",
            "keyringProblem": null
        })
    );
}

#[test]
fn list_conversations_pages_what_was_sent() {
    let app = MockApp::new(None);
    assert_eq!(
        app.invoke("list_conversations", json!({"cursor": null, "limit": 50}))
            .unwrap(),
        json!({"items": [], "nextCursor": null, "total": 0})
    );
    let sent = send(&app, "What is a heron?");
    let page = app
        .invoke("list_conversations", json!({"cursor": null, "limit": 50}))
        .unwrap();
    assert_eq!(page["total"], json!(1));
    assert_eq!(page["items"], json!([sent["conversation"]]));
    assert_eq!(page["items"][0]["title"], json!("What is a heron?"));
    assert_eq!(page["items"][0]["messageCount"], json!(1));
}

#[test]
fn search_messages_finds_by_prefix() {
    let app = MockApp::new(None);
    let sent = send(&app, "Where do herons nest?");
    send(&app, "Something else");
    let found = app
        .invoke("search_messages", json!({"query": "hero", "limit": 10}))
        .unwrap();
    let hits = found["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 1, "{found}");
    assert_eq!(hits[0]["messageId"], sent["message"]["id"]);
    assert_eq!(hits[0]["conversationId"], sent["conversation"]["id"]);
    assert_eq!(hits[0]["role"], json!("user"));
    assert!(found["tookMs"].is_number());
}

#[test]
fn errors_arrive_as_code_and_message() {
    let app = MockApp::new(None);
    assert_eq!(
        app.invoke("get_conversation", json!({"id": 999})),
        Err(json!({
            "code": "not_found",
            "message": "Conversation 999 was not found.",
            "retryable": false
        }))
    );
    assert_eq!(
        app.invoke(
            "send_message",
            json!({"conversationId": null, "text": "  ", "image": null, "onEvent": "__CHANNEL__:1"})
        ),
        Err(json!({
            "code": "empty_message",
            "message": "Type a question or attach an image.",
            "retryable": false
        }))
    );
}

#[test]
fn invalid_settings_name_their_fields() {
    let app = MockApp::new(None);
    let mut settings = serde_json::to_value(dynaspark_core::Settings::default()).unwrap();
    settings["endpoint"] = json!("ftp://example.com/x");
    let error = app
        .invoke(
            "save_settings",
            json!({"settings": settings, "proxyPassword": null}),
        )
        .unwrap_err();
    assert_eq!(error["code"], json!("invalid_settings"));
    assert_eq!(error["fields"][0]["field"], json!("endpoint"));
}

#[test]
fn only_dropped_paths_are_imported() {
    let app = MockApp::new(None);
    let png = app.dir.path().join("blue.png");
    std::fs::write(&png, tiny_png()).unwrap();
    let path = png.display().to_string();
    // Named by script, never dropped: refused before the file is read.
    assert_eq!(
        app.invoke("import_image_paths", json!({"paths": [path]})),
        Err(json!({
            "code": "not_dropped",
            "message": "Only files dropped on the window or chosen with Attach can be attached.",
            "retryable": false
        }))
    );
    app.app.state::<Drops>().record(std::slice::from_ref(&png));
    let imported = app
        .invoke("import_image_paths", json!({"paths": [path]}))
        .unwrap();
    assert_eq!(imported["image"]["name"], json!("blue.png"));
    assert_eq!(imported["ignored"], json!(0));
    // The drop was used up: the same path named again is refused.
    assert_eq!(
        app.invoke("import_image_paths", json!({"paths": [path]}))
            .unwrap_err()["code"],
        json!("not_dropped")
    );
}

#[test]
fn the_page_gets_no_core_permission_it_does_not_use() {
    let app = MockApp::new(None);
    // What it uses: listening to the drag-and-drop events.
    app.invoke(
        "plugin:event|listen",
        json!({"event": "tauri://drag-drop", "target": {"kind": "Any"}, "handler": 7}),
    )
    .unwrap();
    for cmd in [
        "plugin:event|emit",
        "plugin:app|version",
        "plugin:window|close",
    ] {
        let refused = app.invoke(cmd, json!({})).unwrap_err();
        assert!(
            refused.to_string().contains("not allowed"),
            "{cmd}: {refused}"
        );
    }
}

#[test]
fn every_command_is_in_the_manifest_and_the_capability() {
    let manifest = include_str!("../../build.rs");
    let capability: Value =
        serde_json::from_str(include_str!("../../capabilities/default.json")).unwrap();
    let granted: Vec<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let commands: Vec<&str> = manifest
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix('"')?.strip_suffix("\","))
        .collect();
    assert!(commands.contains(&"test_proxy") && commands.contains(&"open_logs_folder"));
    let mut app_permissions: Vec<String> = commands
        .iter()
        .map(|c| format!("allow-{}", c.replace('_', "-")))
        .collect();
    let mut core: Vec<&str> = granted
        .iter()
        .copied()
        .filter(|p| p.starts_with("core:"))
        .collect();
    core.sort_unstable();
    // Drag and drop arrives as events the page listens to, and the zoom keys (Tauri's
    // polyfill) set the page's own zoom; nothing else of the core.
    assert_eq!(
        core,
        [
            "core:event:allow-listen",
            "core:webview:allow-set-webview-zoom"
        ]
    );
    let mut rest: Vec<String> = granted
        .iter()
        .filter(|p| !p.starts_with("core:"))
        .map(|p| (*p).to_owned())
        .collect();
    rest.sort_unstable();
    app_permissions.sort_unstable();
    assert_eq!(rest, app_permissions);
}

fn tiny_png() -> Vec<u8> {
    // A 1x1 PNG (RGB), CRCs and all.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90,
        0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x90,
        0xb3, 0xb9, 0x03, 0x00, 0x01, 0xb2, 0x01, 0x37, 0xff, 0x72, 0xff, 0x17, 0x00, 0x00, 0x00,
        0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    PNG.to_vec()
}

// Test connection --------------------------------------------------------------------

struct Proxied {
    app: MockApp,
    proxy_url: String,
    _server: fake_dynaspark::FakeServer,
}

fn with_proxy() -> Proxied {
    let (server, proxy) = tauri::async_runtime::block_on(async {
        let server = fake_dynaspark::FakeServer::start_local().await;
        let proxy = HttpProxy::start(Some(ProxyAuth {
            username: "alice".into(),
            password: "right horse".into(),
        }))
        .await;
        (server, proxy)
    });
    Proxied {
        app: MockApp::new(Some(server.endpoint())),
        proxy_url: format!("http://{}", proxy.addr()),
        _server: server,
    }
}

fn form(proxy_url: &str, user: &str) -> Value {
    let mut settings = serde_json::to_value(dynaspark_core::Settings::default()).unwrap();
    settings["proxy"] = json!({"url": proxy_url, "username": user});
    settings["connectTimeoutSecs"] = json!(5);
    settings["requestTimeoutSecs"] = json!(10);
    settings
}

#[test]
fn test_proxy_reports_a_refused_password() {
    let p = with_proxy();
    let report = p
        .app
        .invoke(
            "test_proxy",
            json!({
                "settings": form(&p.proxy_url, "alice"),
                "proxyPassword": {"action": "replace", "password": "wrong"}
            }),
        )
        .unwrap();
    assert_eq!(report["proxy"], json!(format!("{}/", p.proxy_url)));
    assert_eq!(report["reached"], json!(true));
    assert_eq!(report["askedForCredentials"], json!(true));
    assert_eq!(report["credentialsRefused"], json!(true));
    assert_eq!(report["serviceAnswered"], json!(false));
    assert_eq!(report["status"], json!(null));
    let message = report["message"].as_str().unwrap();
    assert!(message.contains("refused the credentials"), "{message}");
    assert!(!report.to_string().contains("wrong"), "{report}");
    // Nothing was saved.
    assert!(!p.app.dir.path().join("settings.json").exists());
}

#[test]
fn test_proxy_uses_the_saved_password_when_the_form_keeps_it() {
    let p = with_proxy();
    p.app
        .invoke(
            "save_settings",
            json!({
                "settings": form(&p.proxy_url, "alice"),
                "proxyPassword": {"action": "replace", "password": "right horse"}
            }),
        )
        .unwrap();
    let report = p
        .app
        .invoke(
            "test_proxy",
            json!({"settings": form(&p.proxy_url, "alice"), "proxyPassword": null}),
        )
        .unwrap();
    assert_eq!(report["askedForCredentials"], json!(true));
    assert_eq!(report["credentialsRefused"], json!(false), "{report}");
    assert_eq!(report["serviceAnswered"], json!(true), "{report}");
    // Removing it in the form (not saved yet) tests without it.
    let report = p
        .app
        .invoke(
            "test_proxy",
            json!({
                "settings": form(&p.proxy_url, "alice"),
                "proxyPassword": {"action": "remove"}
            }),
        )
        .unwrap();
    assert_eq!(report["serviceAnswered"], json!(false), "{report}");
    assert_eq!(report["askedForCredentials"], json!(true), "{report}");
    // Credentials typed into the URL count, percent-decoded exactly.
    let in_url = p
        .proxy_url
        .replace("http://", "http://alice:right%20horse@");
    let report = p
        .app
        .invoke(
            "test_proxy",
            json!({"settings": form(&in_url, ""), "proxyPassword": null}),
        )
        .unwrap();
    assert_eq!(report["serviceAnswered"], json!(true), "{report}");
    assert!(!report.to_string().contains("horse"), "{report}");
}

#[test]
fn test_proxy_refuses_invalid_settings_as_a_save_would() {
    let app = MockApp::new(None);
    let error = app
        .invoke(
            "test_proxy",
            json!({"settings": form("socks4://127.0.0.1:1080", ""), "proxyPassword": null}),
        )
        .unwrap_err();
    assert_eq!(error["code"], json!("invalid_settings"));
    assert_eq!(error["fields"][0]["field"], json!("proxy"));
}

#[test]
fn the_ui_state_keeps_only_known_keys_with_their_type() {
    let app = MockApp::new(None);
    assert_eq!(app.invoke("get_ui_state", json!({})).unwrap(), json!({}));
    app.invoke(
        "set_ui_state",
        json!({"key": "sidebarCollapsed", "value": true}),
    )
    .unwrap();
    assert_eq!(
        app.invoke("get_ui_state", json!({})).unwrap(),
        json!({"sidebarCollapsed": true})
    );
    for (key, value) in [("sidebarCollapsed", json!("yes")), ("theme", json!("dark"))] {
        let refused = app
            .invoke("set_ui_state", json!({"key": key, "value": value}))
            .unwrap_err();
        assert_eq!(refused["code"], json!("invalid_ui_state"));
    }
    assert_eq!(
        app.invoke("get_ui_state", json!({})).unwrap(),
        json!({"sidebarCollapsed": true})
    );
}
