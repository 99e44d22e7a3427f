//! The server started as `recobra serve` starts it also serves the agent console.

mod common;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_includes_console() {
    let server = common::start_server(|_| {}).await;

    let (status, body) = common::get_text(&server.http_url("/console/login")).await;
    let (static_status, script) = common::get_text(&server.http_url("/console/static/agent.js")).await;

    assert_eq!(status, 200);
    assert!(body.contains("Iniciar sesión"), "{body}");
    assert_eq!(static_status, 200);
    assert!(script.contains("/console/ws"));
    server.stop().await;
}
