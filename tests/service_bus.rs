//! Service Bus namespaces' children served by the emulator's generic engine
//! from the `resource` declarations of `spec/service_bus.spec` alone:
//! authorization rules (POST create, PUT update, 409 on a taken key name),
//! queues and topics (create and update are the same PUT, which replaces),
//! notification hubs and relays (read-only here), all under a namespace
//! whose delete takes them with it. Driven through the generated client
//! over mutual TLS; the wire details (fixed headers, Atom envelopes, element
//! order) are checked against a local mock.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, namespace, start_with};
use asm_tests::mock::{MockServer, Reply};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = Duration::from_millis(50),
        |client| client,
    )
    .await
}

fn mock_client(mock: &MockServer) -> Client {
    mock.client_builder("00000000-0000-0000-0000-000000000000")
        .build()
        .expect("client")
}

fn titles<T>(feed: &Feed<T>) -> Vec<String> {
    let mut t: Vec<String> = feed
        .entries
        .iter()
        .filter_map(|e| e.title.clone())
        .collect();
    t.sort();
    t
}

#[tokio::test]
async fn queue_lifecycle() {
    let (_emu, c) = start().await;
    let ns = "asm-sb-queues";
    let queue = QueueDescription {
        lock_duration: Some("PT1M".into()),
        max_size_in_megabytes: Some(1024),
        requires_session: Some(false),
        max_delivery_count: Some(10),
        ..Default::default()
    };
    // No namespace yet: the parent is missing.
    assert_service_error(
        c.create_queue(ns, "orders", &queue).await,
        404,
        "ResourceNotFound",
    );
    namespace(&c, ns).await;

    let created = c.create_queue(ns, "orders", &queue).await.unwrap();
    assert_eq!(created.title.as_deref(), Some("orders"));
    assert_eq!(created.lock_duration.as_deref(), Some("PT1M"));
    assert_eq!(created.max_delivery_count, Some(10));
    assert_eq!(created.status.as_deref(), Some("Active"));
    assert_eq!(created.message_count, Some(0));
    assert!(created.created_at.is_some());
    c.create_queue(ns, "billing", &QueueDescription::default())
        .await
        .unwrap();

    let got = c.get_queue(ns, "orders").await.unwrap();
    assert_eq!(got.title.as_deref(), Some("orders"));
    assert_eq!(got.max_size_in_megabytes, Some(1024));
    let feed = c.list_queues(ns).await.unwrap();
    assert_eq!(feed.title.as_deref(), Some("Queues"));
    assert_eq!(titles(&feed), ["billing", "orders"]);

    // Update: the same PUT with If-Match, replacing the description.
    let updated = c
        .update_queue(
            ns,
            "orders",
            &QueueDescription {
                max_size_in_megabytes: Some(2048),
                ..queue.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.max_size_in_megabytes, Some(2048));
    assert_eq!(
        c.get_queue(ns, "orders")
            .await
            .unwrap()
            .max_size_in_megabytes,
        Some(2048)
    );

    c.delete_queue(ns, "orders").await.unwrap();
    assert_service_error(c.get_queue(ns, "orders").await, 404, "ResourceNotFound");
    assert_service_error(c.delete_queue(ns, "orders").await, 404, "ResourceNotFound");
    assert_eq!(titles(&c.list_queues(ns).await.unwrap()), ["billing"]);
    assert_service_error(
        c.list_queues("asm-sb-missing").await,
        404,
        "ResourceNotFound",
    );

    // A namespace's delete takes its queues with it.
    c.delete_namespace(ns).await.unwrap();
    assert_service_error(c.get_namespace(ns).await, 404, "ResourceNotFound");
    namespace(&c, ns).await;
    assert!(c.list_queues(ns).await.unwrap().entries.is_empty());
}

#[tokio::test]
async fn topic_lifecycle() {
    let (_emu, c) = start().await;
    let ns = "asm-sb-topics";
    namespace(&c, ns).await;
    let topic = TopicDescription {
        default_message_time_to_live: Some("P14D".into()),
        enable_batched_operations: Some(true),
        ..Default::default()
    };
    let created = c.create_topic(ns, "events", &topic).await.unwrap();
    assert_eq!(created.title.as_deref(), Some("events"));
    assert_eq!(created.subscription_count, Some(0));
    assert_eq!(created.status.as_deref(), Some("Active"));
    c.create_topic(ns, "alerts", &topic).await.unwrap();
    let feed = c.list_topics(ns).await.unwrap();
    assert_eq!(feed.title.as_deref(), Some("Topics"));
    assert_eq!(titles(&feed), ["alerts", "events"]);

    let updated = c
        .update_topic(
            ns,
            "events",
            &TopicDescription {
                max_size_in_megabytes: Some(5120),
                ..topic.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.max_size_in_megabytes, Some(5120));
    assert_eq!(
        c.get_topic(ns, "events")
            .await
            .unwrap()
            .enable_batched_operations,
        Some(true)
    );

    c.delete_topic(ns, "events").await.unwrap();
    assert_service_error(c.get_topic(ns, "events").await, 404, "ResourceNotFound");
    assert_eq!(titles(&c.list_topics(ns).await.unwrap()), ["alerts"]);
    // Queues and topics are separate collections.
    assert!(c.list_queues(ns).await.unwrap().entries.is_empty());
}

#[tokio::test]
async fn namespace_authorization_rules() {
    let (_emu, c) = start().await;
    let ns = "asm-sb-rules";
    namespace(&c, ns).await;
    let rule = SharedAccessAuthorizationRule {
        key_name: "sender".into(),
        primary_key: Some("cHJpbWFyeQ==".into()),
        rights: vec![AccessRights::Send, AccessRights::Listen],
        ..Default::default()
    };
    let created = c
        .create_namespace_authorization_rule(ns, &rule)
        .await
        .unwrap();
    assert_eq!(created.key_name, "sender");
    assert_eq!(created.rights, [AccessRights::Send, AccessRights::Listen]);
    assert!(created.created_time.is_some());
    assert!(
        !format!("{created:?}").contains("cHJpbWFyeQ=="),
        "keys are redacted"
    );
    // The same key name again is taken.
    assert_service_error(
        c.create_namespace_authorization_rule(ns, &rule).await,
        409,
        "ConflictError",
    );

    // Read back through the list and the single read (its URI names the
    // rule {entityName}, the resource {ruleName}: the engine fits keys by
    // position).
    let list = c.list_namespace_authorization_rules(ns).await.unwrap();
    assert_eq!(list.entries[0].primary_key.as_deref(), Some("cHJpbWFyeQ=="));
    let one = c
        .get_namespace_authorization_rule(ns, "sender")
        .await
        .unwrap();
    assert_eq!(one.key_name, "sender");
    assert_eq!(one.primary_key.as_deref(), Some("cHJpbWFyeQ=="));
    assert_service_error(
        c.get_namespace_authorization_rule(ns, "nobody").await,
        404,
        "ResourceNotFound",
    );
    let updated = c
        .update_namespace_authorization_rule(
            ns,
            "sender",
            &SharedAccessAuthorizationRule {
                rights: vec![AccessRights::Manage],
                ..rule.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.rights, [AccessRights::Manage]);
    let list = c.list_namespace_authorization_rules(ns).await.unwrap();
    let names: Vec<_> = list.contents().map(|r| r.key_name.clone()).collect();
    assert_eq!(names, ["sender"]);

    c.delete_namespace_authorization_rule(ns, "sender")
        .await
        .unwrap();
    assert!(c
        .list_namespace_authorization_rules(ns)
        .await
        .unwrap()
        .entries
        .is_empty());
    assert_service_error(
        c.update_namespace_authorization_rule(ns, "sender", &rule)
            .await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn hubs_and_relays_read_empty() {
    let (_emu, c) = start().await;
    let ns = "asm-sb-hubs";
    namespace(&c, ns).await;
    assert!(c
        .list_notification_hubs(ns)
        .await
        .unwrap()
        .entries
        .is_empty());
    assert!(c.list_relays(ns).await.unwrap().entries.is_empty());
    assert_service_error(
        c.get_notification_hub(ns, "hub").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.delete_notification_hub(ns, "hub").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(c.list_relays("asm-sb-none").await, 404, "ResourceNotFound");
}

/// On the wire: the queue PUTs carry the fixed headers (`If-Match: *` only
/// on the update), the description in an Atom entry in spec order.
#[tokio::test]
async fn queue_requests_on_the_wire() {
    let mock = MockServer::start().await;
    // 201 suits both: a create answers it, and so may the same PUT as an update.
    mock.set_fallback(Reply::new(
        201,
        "<entry xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">q</title><content type=\"application/xml\"><QueueDescription xmlns=\"http://schemas.microsoft.com/netservices/2010/10/servicebus/connect\"><LockDuration>PT30S</LockDuration><CountDetails xmlns:d2p1=\"http://schemas.microsoft.com/netservices/2011/06/servicebus\"><d2p1:ActiveMessageCount>3</d2p1:ActiveMessageCount></CountDetails><Unknown>ignored</Unknown></QueueDescription></content></entry>",
    ));
    let m = mock_client(&mock);
    let body = QueueDescription {
        lock_duration: Some("PT30S".into()),
        max_size_in_megabytes: Some(1024),
        ..Default::default()
    };
    let got = m.update_queue("ns1", "q", &body).await.unwrap();
    assert_eq!(got.title.as_deref(), Some("q"));
    assert_eq!(
        got.count_details
            .as_ref()
            .and_then(|d| d.active_message_count),
        Some(3)
    );
    m.create_queue("ns1", "q", &body).await.unwrap();
    let sent = mock.captured();
    let (update, create) = (&sent[0], &sent[1]);
    for s in [update, create] {
        assert_eq!(s.method, "PUT");
        assert_eq!(
            s.path,
            "/00000000-0000-0000-0000-000000000000/services/servicebus/namespaces/ns1/queues/q/"
        );
        assert_eq!(s.header("x-ms-version"), Some("2013-08-01"));
        assert_eq!(s.header("type"), Some("entry"));
        assert_eq!(s.header("x-process-at"), Some("ServiceBus"));
        assert_eq!(s.header("content-type"), Some("application/atom+xml"));
        let text = String::from_utf8(s.body.clone()).unwrap();
        let lock = text.find("<LockDuration>PT30S</LockDuration>").unwrap();
        let size = text
            .find("<MaxSizeInMegabytes>1024</MaxSizeInMegabytes>")
            .unwrap();
        assert!(lock < size, "{text}");
        assert!(text.contains("<QueueDescription xmlns=\"http://schemas.microsoft.com/netservices/2010/10/servicebus/connect\""), "{text}");
    }
    assert_eq!(update.header("if-match"), Some("*"));
    assert_eq!(create.header("if-match"), None);
}
