//! Console login, logout, session cookie and role checks against a real server on
//! 127.0.0.1.

#[path = "console/server.rs"]
mod server;

use server::{TestServer, get, login, post_form};

#[test]
fn login_page_is_spanish() {
    let server = TestServer::start();

    let reply = get(&server, "/console/login", None);

    assert_eq!(reply.status, 200);
    assert!(reply.body.contains("<html lang=\"es\">"));
    for text in ["Iniciar sesión", "Usuario", "Contraseña", "Entrar"] {
        assert!(reply.body.contains(text), "missing {text:?}");
    }
}

#[test]
fn login_sets_strict_httponly_cookie() {
    let server = TestServer::start();

    let reply = post_form(&server, "/console/login", &[("username", "ana"), ("password", "clave-de-ana")], None);

    assert_eq!(reply.status, 303);
    assert_eq!(reply.location.as_deref(), Some("/console/agent"));
    let cookie = reply.set_cookie.expect("Set-Cookie");
    assert!(cookie.starts_with("recobra_console="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    assert!(cookie.contains("Path=/console"), "{cookie}");
}

#[test]
fn bad_password_and_unknown_user_get_same_error() {
    let server = TestServer::start();

    let wrong = post_form(&server, "/console/login", &[("username", "ana"), ("password", "clave-equivocada")], None);
    let unknown = post_form(&server, "/console/login", &[("username", "nadie"), ("password", "clave-de-ana")], None);

    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert!(wrong.body.contains("Usuario o contraseña incorrectos."));
    assert_eq!(wrong.body, unknown.body);
    assert!(wrong.set_cookie.is_none());
    assert!(unknown.set_cookie.is_none());
}

#[test]
fn repeated_failures_lock_the_id() {
    let server = TestServer::start();
    for _ in 0..3 {
        let reply = post_form(&server, "/console/login", &[("username", "ana"), ("password", "clave-equivocada")], None);
        assert_eq!(reply.status, 401);
    }

    let locked = post_form(&server, "/console/login", &[("username", "ana"), ("password", "clave-de-ana")], None);
    let other = post_form(&server, "/console/login", &[("username", "marta"), ("password", "clave-de-marta")], None);

    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("Demasiados intentos fallidos."), "{}", locked.body);
    assert!(locked.set_cookie.is_none());
    assert_eq!(other.status, 303);
}

#[test]
fn agent_page_needs_login() {
    let server = TestServer::start();

    let anonymous = get(&server, "/console/agent", None);
    let forged = get(&server, "/console/agent", Some("recobra_console=0123456789abcdef"));

    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.location.as_deref(), Some("/console/login"));
    assert_eq!(forged.status, 303);
}

#[test]
fn agent_sees_agent_page_not_supervisor() {
    let server = TestServer::start();
    let cookie = login(&server, "ana", "clave-de-ana");

    let agent_page = get(&server, "/console/agent", Some(&cookie));
    let supervisor_page = get(&server, "/console/supervisor", Some(&cookie));
    let stats = get(&server, "/console/api/stats", Some(&cookie));

    assert_eq!(agent_page.status, 200);
    assert!(agent_page.body.contains("Consola del agente"));
    assert!(agent_page.body.contains("data-user-name=\"Ana García\""));
    for text in ["Disponible", "En llamada", "Cierre", "Ausente", "Aceptar", "Silenciar", "En espera", "Colgar"] {
        assert!(agent_page.body.contains(text), "missing {text:?}");
    }
    assert_eq!(supervisor_page.status, 403);
    assert!(supervisor_page.body.contains("Esta página es solo para supervisores."));
    assert_eq!(stats.status, 403);
}

#[test]
fn supervisor_sees_supervisor_page() {
    let server = TestServer::start();

    let reply = post_form(&server, "/console/login", &[("username", "marta"), ("password", "clave-de-marta")], None);
    let cookie = reply.set_cookie.unwrap().split(';').next().unwrap().to_owned();
    let page = get(&server, "/console/supervisor", Some(&cookie));

    assert_eq!(reply.location.as_deref(), Some("/console/supervisor"));
    assert_eq!(page.status, 200);
    for text in ["Panel de supervisión", "Llamadas en espera", "Espera más larga", "Agentes por estado", "Transferencias de hoy por motivo"] {
        assert!(page.body.contains(text), "missing {text:?}");
    }
}

#[test]
fn logout_ends_session() {
    let server = TestServer::start();
    let cookie = login(&server, "ana", "clave-de-ana");

    let reply = post_form(&server, "/console/logout", &[], Some(&cookie));
    let after = get(&server, "/console/agent", Some(&cookie));

    assert_eq!(reply.status, 303);
    assert_eq!(reply.location.as_deref(), Some("/console/login"));
    assert!(reply.set_cookie.unwrap().contains("Max-Age=0"));
    assert_eq!(after.status, 303);
    assert_eq!(after.location.as_deref(), Some("/console/login"));
}

fn socket_handshake(server: &TestServer, cookie: Option<&str>, origin: &str) -> u16 {
    let mut request = server::client()
        .get(&server.url("/console/ws"))
        .set("Connection", "Upgrade")
        .set("Upgrade", "websocket")
        .set("Sec-WebSocket-Version", "13")
        .set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        .set("Origin", origin);
    if let Some(cookie) = cookie {
        request = request.set("Cookie", cookie);
    }
    match request.call() {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(error) => panic!("handshake failed: {error}"),
    }
}

#[test]
fn agent_socket_needs_session_and_same_origin() {
    let server = TestServer::start_with_queue();
    let cookie = login(&server, "ana", "clave-de-ana");
    let own_origin = server.url("");

    assert_eq!(socket_handshake(&server, None, &own_origin), 401);
    assert_eq!(socket_handshake(&server, Some(&cookie), "http://elsewhere.example"), 403);
    assert_eq!(socket_handshake(&server, Some(&cookie), &own_origin), 101);
}

#[test]
fn supervisor_reads_queue_stats() {
    let server = TestServer::start_with_queue();
    let cookie = login(&server, "marta", "clave-de-marta");

    let reply = get(&server, "/console/api/stats", Some(&cookie));
    let anonymous = get(&server, "/console/api/stats", None);

    assert_eq!(reply.status, 200, "{}", reply.body);
    let stats: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(stats["waiting"], 0);
    assert_eq!(stats["longest_wait_secs"], 0);
    assert!(stats["agents_by_state"]["available"].is_u64(), "{stats}");
    assert!(stats["handed_off_today_by_reason"].is_array(), "{stats}");
    assert_eq!(anonymous.status, 401);
}
