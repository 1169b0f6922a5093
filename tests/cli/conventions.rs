//! One fixture for each built-in operator convention, each Secret producer and each consumer
//! or collision check (issue 6), with the container view it yields stated explicitly, twice:
//! through `bindery explain --format json` (what bindery says each container gets) and through
//! `bindery render` (what the rendered manifests reference: variables with their Secret key
//! references, mounts with their volume sources), plus the exact rule ids `bindery check
//! --format json` reports. The views are built in `tests/common/views.rs`; they name Secrets
//! and keys, never a value.

use crate::common::{self, parse_stream, repo, views};

use serde_json::Value;
use views::*;

struct Case {
    dir: &'static str,
    /// Exit status of `check` (and of `render` and `explain`).
    check_exit: i32,
    /// `(severity, rule)` of every problem, in report order.
    rules: &'static [(&'static str, &'static str)],
    /// The container view through `explain --format json` (empty when nothing renders).
    explain: &'static str,
    /// The container view through `render` (empty when nothing renders).
    render: &'static str,
}

/// Run `check`, `explain` and `render` on the case's fixture; every difference is reported.
fn verify(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let (code, rules) = check_rules(&[case.dir]);
        let expected: Vec<(String, String)> = case.rules.iter().map(|(s, r)| (s.to_string(), r.to_string())).collect();
        if (code, &rules) != (case.check_exit, &expected) {
            failures.push(format!("{}: check exit {code}, rules {rules:?}; expected exit {}, {expected:?}", case.dir, case.check_exit));
        }
        let explain = bindery(&["explain", "--format", "json", case.dir], None);
        let render = bindery(&["render", case.dir], None);
        for (what, run) in [("explain", &explain), ("render", &render)] {
            if run.code != case.check_exit {
                failures.push(format!("{}: {what} exit {} (expected {}):\n{}", case.dir, run.code, case.check_exit, run.stderr));
            }
        }
        if case.check_exit != 0 {
            assert!(explain.stdout.is_empty() && render.stdout.is_empty(), "{}: nothing is printed on failure", case.dir);
            continue;
        }
        let report: Value = serde_json::from_str(&explain.stdout).unwrap();
        for (what, got, want) in
            [("explain", explain_view(&report), case.explain.trim()), ("render", render_view(&render.stdout), case.render.trim())]
        {
            if got != want {
                failures.push(format!("{}: {what} view differs\n--- got:\n{got}\n--- expected:\n{want}", case.dir));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The built-in conventions table (`BUILTIN_CONVENTIONS`) and a `.bindery.yaml` convention:
/// no service has a committed `.status.binding.name`.
const CONVENTIONS: &[Case] = &[
    Case {
        dir: "fixtures/conventions/cnpg-cluster",
        check_exit: 0,
        rules: &[
            ("notice", "RuntimeSecret"),
            ("notice", "RuntimeSecret"),
            ("warning", "ConsumerMissingEntries"),
            ("warning", "ConsumerMissingEntries"),
        ],
        explain: r#"
Deployment shop/catalog, container api
  binding shop/catalog-db
    file /bindings/catalog-db/dbname <- secret catalog-pg-app[dbname]
    file /bindings/catalog-db/host <- secret catalog-pg-app[host]
    file /bindings/catalog-db/jdbc-uri <- secret catalog-pg-app[jdbc-uri]
    file /bindings/catalog-db/password <- secret catalog-pg-app[password]
    file /bindings/catalog-db/pgpass <- secret catalog-pg-app[pgpass]
    file /bindings/catalog-db/port <- secret catalog-pg-app[port]
    file /bindings/catalog-db/type <- the binding's spec.type
    file /bindings/catalog-db/uri <- secret catalog-pg-app[uri]
    file /bindings/catalog-db/user <- secret catalog-pg-app[user]
    file /bindings/catalog-db/username <- secret catalog-pg-app[username]
    env DATABASE_URL <- secret catalog-pg-app[uri]
    Secret catalog-pg-app is created at run time by the CloudNativePG operator (convention for Cluster "catalog-pg" at fixtures/conventions/cnpg-cluster/cluster.yaml:3: Secret name {.metadata.name}-app)
  binding shop/reviews-db
    file /bindings/reviews-db/password <- secret reviews-pg-credentials[password]
    file /bindings/reviews-db/type <- the binding's spec.type
    file /bindings/reviews-db/username <- secret reviews-pg-credentials[username]
    env REVIEWS_DB_USER <- secret reviews-pg-credentials[username]
    Secret reviews-pg-credentials is created at run time by the team (CloudNativePG reads spec.bootstrap.initdb.secret, it does not create it) (convention for Cluster "reviews-pg" at fixtures/conventions/cnpg-cluster/cluster.yaml:15: Secret name {.spec.bootstrap.initdb.secret.name})
"#,
        render: r#"
Deployment shop/catalog, container api
  env SERVICE_BINDING_ROOT = "/bindings"
  env DATABASE_URL <- secret catalog-pg-app[uri]
  env REVIEWS_DB_USER <- secret reviews-pg-credentials[username]
  mount /bindings/catalog-db <- projected: secret catalog-pg-app; file type <- pod annotation = "postgresql"
  mount /bindings/reviews-db <- projected: secret reviews-pg-credentials; file type <- pod annotation = "postgresql"
"#,
    },
    Case {
        dir: "fixtures/conventions/config-file",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret")],
        explain: r#"
Deployment web/storefront, container web
  binding web/storefront-sessions
    file /bindings/storefront-sessions/host <- secret sessions-redis-auth[host]
    file /bindings/storefront-sessions/password <- secret sessions-redis-auth[password]
    file /bindings/storefront-sessions/port <- secret sessions-redis-auth[port]
    file /bindings/storefront-sessions/type <- secret sessions-redis-auth[type]
    env REDIS_HOST <- secret sessions-redis-auth[host]
    env REDIS_PASSWORD <- secret sessions-redis-auth[password]
    Secret sessions-redis-auth is created at run time by the platform team's Redis operator (convention for RedisInstance "sessions" at fixtures/conventions/config-file/redis.yaml:1: Secret name {.metadata.name}-redis-auth, declared in fixtures/conventions/config-file/.bindery.yaml)
"#,
        render: r#"
Deployment web/storefront, container web
  env SERVICE_BINDING_ROOT = "/bindings"
  env REDIS_HOST <- secret sessions-redis-auth[host]
  env REDIS_PASSWORD <- secret sessions-redis-auth[password]
  mount /bindings/storefront-sessions <- projected: secret sessions-redis-auth
"#,
    },
    Case {
        dir: "fixtures/conventions/crossplane-claim",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret"), ("warning", "SecretKeysUnknown")],
        explain: r#"
Deployment team-orders/orders, container orders
  binding team-orders/orders-db
    file /bindings/orders-db/type <- the binding's spec.type
    env DB_ENDPOINT <- secret orders-db-conn[endpoint]
    Secret orders-db-conn is created at run time by Crossplane (spec.writeConnectionSecretToRef) (convention for PostgreSQLInstance "orders-db" at fixtures/conventions/crossplane-claim/claim.yaml:4: Secret name {.spec.writeConnectionSecretToRef.name})
"#,
        render: r#"
Deployment team-orders/orders, container orders
  env SERVICE_BINDING_ROOT = "/bindings"
  env DB_ENDPOINT <- secret orders-db-conn[endpoint]
  mount /bindings/orders-db <- projected: secret orders-db-conn; file type <- pod annotation = "postgresql"
"#,
    },
    Case {
        dir: "fixtures/conventions/crunchy-postgrescluster",
        check_exit: 0,
        rules: &[
            ("notice", "RuntimeSecret"),
            ("notice", "RuntimeSecret"),
            ("warning", "ConsumerMissingEntries"),
            ("warning", "ConsumerMissingEntries"),
        ],
        explain: r#"
Deployment zoo/keeper, container keeper
  binding zoo/keeper-hippo
    file /bindings/keeper-hippo/dbname <- secret hippo-pguser-rhino[dbname]
    file /bindings/keeper-hippo/host <- secret hippo-pguser-rhino[host]
    file /bindings/keeper-hippo/jdbc-uri <- secret hippo-pguser-rhino[jdbc-uri]
    file /bindings/keeper-hippo/password <- secret hippo-pguser-rhino[password]
    file /bindings/keeper-hippo/port <- secret hippo-pguser-rhino[port]
    file /bindings/keeper-hippo/type <- the binding's spec.type
    file /bindings/keeper-hippo/uri <- secret hippo-pguser-rhino[uri]
    file /bindings/keeper-hippo/user <- secret hippo-pguser-rhino[user]
    file /bindings/keeper-hippo/verifier <- secret hippo-pguser-rhino[verifier]
    env PGHOST <- secret hippo-pguser-rhino[host]
    env PGUSER <- secret hippo-pguser-rhino[user]
    Secret hippo-pguser-rhino is created at run time by the Crunchy Postgres operator (PGO) (convention for PostgresCluster "hippo" at fixtures/conventions/crunchy-postgrescluster/postgrescluster.yaml:3: Secret name {.metadata.name}-pguser-{.spec.users[0].name})
  binding zoo/keeper-gorilla
    file /bindings/keeper-gorilla/dbname <- secret gorilla-pguser-gorilla[dbname]
    file /bindings/keeper-gorilla/host <- secret gorilla-pguser-gorilla[host]
    file /bindings/keeper-gorilla/jdbc-uri <- secret gorilla-pguser-gorilla[jdbc-uri]
    file /bindings/keeper-gorilla/password <- secret gorilla-pguser-gorilla[password]
    file /bindings/keeper-gorilla/port <- secret gorilla-pguser-gorilla[port]
    file /bindings/keeper-gorilla/type <- the binding's spec.type
    file /bindings/keeper-gorilla/uri <- secret gorilla-pguser-gorilla[uri]
    file /bindings/keeper-gorilla/user <- secret gorilla-pguser-gorilla[user]
    file /bindings/keeper-gorilla/verifier <- secret gorilla-pguser-gorilla[verifier]
    Secret gorilla-pguser-gorilla is created at run time by the Crunchy Postgres operator (PGO) (convention for PostgresCluster "gorilla" at fixtures/conventions/crunchy-postgrescluster/postgrescluster.yaml:29: Secret name {.metadata.name}-pguser-{.metadata.name})
"#,
        render: r#"
Deployment zoo/keeper, container keeper
  env SERVICE_BINDING_ROOT = "/bindings"
  env PGHOST <- secret hippo-pguser-rhino[host]
  env PGUSER <- secret hippo-pguser-rhino[user]
  mount /bindings/keeper-hippo <- projected: secret hippo-pguser-rhino; file type <- pod annotation = "postgresql"
  mount /bindings/keeper-gorilla <- projected: secret gorilla-pguser-gorilla; file type <- pod annotation = "postgresql"
"#,
    },
    Case {
        dir: "fixtures/conventions/mongodb-community",
        check_exit: 0,
        rules: &[
            ("notice", "RuntimeSecret"),
            ("notice", "RuntimeSecret"),
            ("warning", "ConsumerMissingEntries"),
            ("warning", "ConsumerMissingEntries"),
        ],
        explain: r#"
Deployment mongo/inventory, container inventory
  binding mongo/inventory-mongodb
    file /bindings/inventory-mongodb/connectionString.standard <- secret example-mongodb-admin-my-user[connectionString.standard]
    file /bindings/inventory-mongodb/connectionString.standardSrv <- secret example-mongodb-admin-my-user[connectionString.standardSrv]
    file /bindings/inventory-mongodb/password <- secret example-mongodb-admin-my-user[password]
    file /bindings/inventory-mongodb/type <- the binding's spec.type
    file /bindings/inventory-mongodb/username <- secret example-mongodb-admin-my-user[username]
    env MONGODB_URI <- secret example-mongodb-admin-my-user[connectionString.standardSrv]
    Secret example-mongodb-admin-my-user is created at run time by the MongoDB Community operator (convention for MongoDBCommunity "example-mongodb" at fixtures/conventions/mongodb-community/mongodbcommunity.yaml:4: Secret name {.metadata.name}-{.spec.users[0].db}-{.spec.users[0].name})
  binding mongo/inventory-sessions
    file /bindings/inventory-sessions/connectionString.standard <- secret sessions-mongodb-uri[connectionString.standard]
    file /bindings/inventory-sessions/connectionString.standardSrv <- secret sessions-mongodb-uri[connectionString.standardSrv]
    file /bindings/inventory-sessions/password <- secret sessions-mongodb-uri[password]
    file /bindings/inventory-sessions/type <- the binding's spec.type
    file /bindings/inventory-sessions/username <- secret sessions-mongodb-uri[username]
    Secret sessions-mongodb-uri is created at run time by the MongoDB Community operator (convention for MongoDBCommunity "sessions-mongodb" at fixtures/conventions/mongodb-community/mongodbcommunity.yaml:25: Secret name {.spec.users[0].connectionStringSecretName})
"#,
        render: r#"
Deployment mongo/inventory, container inventory
  env SERVICE_BINDING_ROOT = "/bindings"
  env MONGODB_URI <- secret example-mongodb-admin-my-user[connectionString.standardSrv]
  mount /bindings/inventory-mongodb <- projected: secret example-mongodb-admin-my-user; file type <- pod annotation = "mongodb"
  mount /bindings/inventory-sessions <- projected: secret sessions-mongodb-uri; file type <- pod annotation = "mongodb"
"#,
    },
    Case {
        dir: "fixtures/conventions/rabbitmq-cluster",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret"), ("notice", "RuntimeSecret")],
        explain: r#"
Deployment shop/notifier, container worker
  binding shop/notifier-events
    file /bindings/notifier-events/connection_string <- secret events-default-user[connection_string]
    file /bindings/notifier-events/default_user.conf <- secret events-default-user[default_user.conf]
    file /bindings/notifier-events/host <- secret events-default-user[host]
    file /bindings/notifier-events/password <- secret events-default-user[password]
    file /bindings/notifier-events/port <- secret events-default-user[port]
    file /bindings/notifier-events/provider <- secret events-default-user[provider]
    file /bindings/notifier-events/type <- secret events-default-user[type]
    file /bindings/notifier-events/username <- secret events-default-user[username]
    env RABBITMQ_HOST <- secret events-default-user[host]
    Secret events-default-user is created at run time by the RabbitMQ cluster operator (convention for RabbitmqCluster "events" at fixtures/conventions/rabbitmq-cluster/rabbitmqcluster.yaml:3: Secret name {.metadata.name}-default-user)
  binding shop/notifier-events-env
    env RABBITMQCLUSTER_CONNECTION_STRING <- secret events-default-user[connection_string]
    env RABBITMQCLUSTER_DEFAULT_USER.CONF <- secret events-default-user[default_user.conf]
    env RABBITMQCLUSTER_HOST <- secret events-default-user[host]
    env RABBITMQCLUSTER_PASSWORD <- secret events-default-user[password]
    env RABBITMQCLUSTER_PORT <- secret events-default-user[port]
    env RABBITMQCLUSTER_PROVIDER <- secret events-default-user[provider]
    env RABBITMQCLUSTER_TYPE <- secret events-default-user[type]
    env RABBITMQCLUSTER_USERNAME <- secret events-default-user[username]
    not readable offline: Secret events-default-user: the RabbitMQ cluster operator (convention for RabbitmqCluster "events" at fixtures/conventions/rabbitmq-cluster/rabbitmqcluster.yaml:3: Secret name {.metadata.name}-default-user)
"#,
        render: r#"
Deployment shop/notifier, container worker
  env SERVICE_BINDING_ROOT = "/bindings"
  env RABBITMQ_HOST <- secret events-default-user[host]
  env RABBITMQCLUSTER_CONNECTION_STRING <- secret events-default-user[connection_string]
  env RABBITMQCLUSTER_DEFAULT_USER.CONF <- secret events-default-user[default_user.conf]
  env RABBITMQCLUSTER_HOST <- secret events-default-user[host]
  env RABBITMQCLUSTER_PASSWORD <- secret events-default-user[password]
  env RABBITMQCLUSTER_PORT <- secret events-default-user[port]
  env RABBITMQCLUSTER_PROVIDER <- secret events-default-user[provider]
  env RABBITMQCLUSTER_TYPE <- secret events-default-user[type]
  env RABBITMQCLUSTER_USERNAME <- secret events-default-user[username]
  mount /bindings/notifier-events <- projected: secret events-default-user
"#,
    },
    Case {
        dir: "fixtures/conventions/sap-btp-servicebinding",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret"), ("notice", "RuntimeSecret")],
        explain: r#"
Deployment sales/sales-ui, container ui
  binding sales/sales-ui-xsuaa
    file /bindings/sales-ui-xsuaa/type <- the binding's spec.type
    Secret xsuaa-credentials is created at run time by the SAP BTP service operator (convention for ServiceBinding "xsuaa-binding" at fixtures/conventions/sap-btp-servicebinding/btp.yaml:13: Secret name {.spec.secretName})
  binding sales/sales-ui-destination
    file /bindings/sales-ui-destination/type <- the binding's spec.type
    Secret destination-binding is created at run time by the SAP BTP service operator (convention for ServiceBinding "destination-binding" at fixtures/conventions/sap-btp-servicebinding/btp.yaml:31: Secret name {.metadata.name})
"#,
        render: r#"
Deployment sales/sales-ui, container ui
  env SERVICE_BINDING_ROOT = "/bindings"
  mount /bindings/sales-ui-xsuaa <- projected: secret xsuaa-credentials; file type <- pod annotation = "xsuaa"
  mount /bindings/sales-ui-destination <- projected: secret destination-binding; file type <- pod annotation = "destination"
"#,
    },
    Case {
        dir: "fixtures/conventions/strimzi-kafkaaccess",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret")],
        explain: r#"
Deployment billing/billing, container billing
  binding billing/billing-kafka
    file /bindings/billing-kafka/type <- the binding's spec.type
    Secret billing-kafka is created at run time by the Strimzi access operator (convention for KafkaAccess "billing-kafka" at fixtures/conventions/strimzi-kafkaaccess/kafkaaccess.yaml:4: Secret name {.metadata.name})
"#,
        render: r#"
Deployment billing/billing, container billing
  env SERVICE_BINDING_ROOT = "/bindings"
  mount /bindings/billing-kafka <- projected: secret billing-kafka; file type <- pod annotation = "kafka"
"#,
    },
    Case {
        dir: "fixtures/conventions/strimzi-kafkauser",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret"), ("warning", "SecretKeysUnknown")],
        explain: r#"
Deployment kafka/orders-producer, container producer
  binding kafka/orders-producer-kafka
    file /bindings/orders-producer-kafka/type <- the binding's spec.type
    env KAFKA_SASL_JAAS_CONFIG <- secret orders-producer[sasl.jaas.config]
    Secret orders-producer is created at run time by the Strimzi user operator (convention for KafkaUser "orders-producer" at fixtures/conventions/strimzi-kafkauser/kafkauser.yaml:4: Secret name {.metadata.name})
"#,
        render: r#"
Deployment kafka/orders-producer, container producer
  env SERVICE_BINDING_ROOT = "/bindings"
  env KAFKA_SASL_JAAS_CONFIG <- secret orders-producer[sasl.jaas.config]
  mount /bindings/orders-producer-kafka <- projected: secret orders-producer; file type <- pod annotation = "kafka"
"#,
    },
];

#[test]
fn each_operator_convention_names_the_binding_secret_in_explain_and_render() {
    verify(CONVENTIONS);
}

/// SealedSecret, ExternalSecret (`spec.data`, `target.template.data`, `dataFrom`) and a
/// SOPS-encrypted Secret: bound by reference, by key name only.
const PRODUCERS: &[Case] = &[
    Case {
        dir: "fixtures/producers/external-secret-datafrom",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret"), ("warning", "SecretKeysUnknown")],
        explain: r#"
Deployment finance/ledger, container ledger
  binding finance/ledger-db
    file /bindings/ledger-db/type <- the binding's spec.type
    env LEDGER_DB_PASSWORD <- secret ledger-db[password]
    Secret ledger-db is created at run time by ExternalSecret "ledger-vault" (at fixtures/producers/external-secret-datafrom/externalsecret.yaml:3)
"#,
        render: r#"
Deployment finance/ledger, container ledger
  env SERVICE_BINDING_ROOT = "/bindings"
  env LEDGER_DB_PASSWORD <- secret ledger-db[password]
  mount /bindings/ledger-db <- projected: secret ledger-db; file type <- pod annotation = "postgresql"
"#,
    },
    Case {
        dir: "fixtures/producers/external-secret",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret"), ("notice", "RuntimeSecret")],
        explain: r#"
Deployment search/search, container search
  binding search/search-elasticsearch
    file /bindings/search-elasticsearch/password <- secret search-elasticsearch[password]
    file /bindings/search-elasticsearch/type <- secret search-elasticsearch[type]
    file /bindings/search-elasticsearch/uris <- secret search-elasticsearch[uris]
    file /bindings/search-elasticsearch/username <- secret search-elasticsearch[username]
    env ELASTICSEARCH_URIS <- secret search-elasticsearch[uris]
    Secret search-elasticsearch is created at run time by ExternalSecret "search-es" (at fixtures/producers/external-secret/externalsecret.yaml:3)
  binding search/search-cache
    file /bindings/search-cache/host <- secret search-redis[host]
    file /bindings/search-cache/password <- secret search-redis[password]
    file /bindings/search-cache/port <- secret search-redis[port]
    file /bindings/search-cache/type <- secret search-redis[type]
    Secret search-redis is created at run time by ExternalSecret "search-redis" (at fixtures/producers/external-secret/externalsecret.yaml:27)
"#,
        render: r#"
Deployment search/search, container search
  env SERVICE_BINDING_ROOT = "/bindings"
  env ELASTICSEARCH_URIS <- secret search-elasticsearch[uris]
  mount /bindings/search-cache <- projected: secret search-redis
  mount /bindings/search-elasticsearch <- projected: secret search-elasticsearch
"#,
    },
    Case {
        dir: "fixtures/producers/sealed-secret",
        check_exit: 0,
        rules: &[("notice", "RuntimeSecret"), ("notice", "RuntimeSecret")],
        explain: r#"
Deployment crm/crm, container crm
  binding crm/crm-mail
    file /bindings/crm-mail/host <- secret mail-relay[host]
    file /bindings/crm-mail/password <- secret mail-relay[password]
    file /bindings/crm-mail/port <- secret mail-relay[port]
    file /bindings/crm-mail/type <- secret mail-relay[type]
    file /bindings/crm-mail/username <- secret mail-relay[username]
    env SMTP_HOST <- secret mail-relay[host]
    env SMTP_PORT <- secret mail-relay[port]
    Secret mail-relay is created at run time by SealedSecret "mail-relay" (at fixtures/producers/sealed-secret/sealedsecret.yaml:4)
  binding crm/crm-mail-sbo
    file /bindings/crm-mail-sbo/host <- secret mail-relay[host]
    file /bindings/crm-mail-sbo/password <- secret mail-relay[password]
    file /bindings/crm-mail-sbo/port <- secret mail-relay[port]
    file /bindings/crm-mail-sbo/type <- secret mail-relay[type]
    file /bindings/crm-mail-sbo/username <- secret mail-relay[username]
    not readable offline: Secret mail-relay: SealedSecret "mail-relay" (at fixtures/producers/sealed-secret/sealedsecret.yaml:4)
"#,
        render: r#"
Deployment crm/crm, container crm
  env SERVICE_BINDING_ROOT = "/bindings"
  env SMTP_HOST <- secret mail-relay[host]
  env SMTP_PORT <- secret mail-relay[port]
  mount /bindings/crm-mail <- projected: secret mail-relay
  mount /bindings/crm-mail-sbo <- secret mail-relay
"#,
    },
    Case {
        dir: "fixtures/producers/sops-secret",
        check_exit: 0,
        rules: &[("notice", "EncryptedSecret")],
        explain: r#"
Deployment analytics/reports, container reports
  binding analytics/reports-warehouse
    file /bindings/reports-warehouse/database <- secret analytics-warehouse[database]
    file /bindings/reports-warehouse/host <- secret analytics-warehouse[host]
    file /bindings/reports-warehouse/password <- secret analytics-warehouse[password]
    file /bindings/reports-warehouse/port <- secret analytics-warehouse[port]
    file /bindings/reports-warehouse/type <- secret analytics-warehouse[type]
    file /bindings/reports-warehouse/username <- secret analytics-warehouse[username]
    env WAREHOUSE_HOST <- secret analytics-warehouse[host]
    Secret analytics-warehouse is SOPS-encrypted (values never decrypted)
"#,
        render: r#"
Deployment analytics/reports, container reports
  env SERVICE_BINDING_ROOT = "/bindings"
  env WAREHOUSE_HOST <- secret analytics-warehouse[host]
  mount /bindings/reports-warehouse <- projected: secret analytics-warehouse
"#,
    },
];

#[test]
fn each_secret_producer_is_bound_by_reference_in_explain_and_render() {
    verify(PRODUCERS);
}

/// The consumer checks (type present, consumers' needs, well-known formats) and collisions
/// (one name, one variable, a container's own variable, a Secret in another namespace).
const CHECKS: &[Case] = &[
    Case {
        dir: "fixtures/checks/binding-name-collision",
        check_exit: 1,
        rules: &[("error", "BindingNameCollision")],
        explain: "",
        render: "",
    },
    Case {
        dir: "fixtures/checks/consumer-missing-entries",
        check_exit: 0,
        rules: &[("warning", "ConsumerMissingEntries")],
        explain: r#"
Deployment billing/invoices, container app
  binding billing/invoices-db
    file /bindings/invoices-db/host <- secret invoices-db[host]
    file /bindings/invoices-db/password <- secret invoices-db[password]
    file /bindings/invoices-db/port <- secret invoices-db[port]
    file /bindings/invoices-db/type <- secret invoices-db[type]
    file /bindings/invoices-db/username <- secret invoices-db[username]
"#,
        render: r#"
Deployment billing/invoices, container app
  env SPRING_PROFILES_ACTIVE = "kubernetes"
  env SERVICE_BINDING_ROOT = "/bindings"
  mount /bindings/invoices-db <- projected: secret invoices-db
"#,
    },
    Case {
        dir: "fixtures/checks/env-var-collision",
        check_exit: 0,
        rules: &[("warning", "EnvVarCollision")],
        explain: r#"
Deployment shop/orders, container api
  binding shop/orders-primary
    file /bindings/orders-primary/database <- secret orders-primary[database]
    file /bindings/orders-primary/host <- secret orders-primary[host]
    file /bindings/orders-primary/password <- secret orders-primary[password]
    file /bindings/orders-primary/port <- secret orders-primary[port]
    file /bindings/orders-primary/type <- secret orders-primary[type]
    file /bindings/orders-primary/uri <- secret orders-primary[uri]
    file /bindings/orders-primary/username <- secret orders-primary[username]
    env DATABASE_URL <- secret orders-primary[uri]
  binding shop/orders-replica
    file /bindings/orders-replica/database <- secret orders-replica[database]
    file /bindings/orders-replica/host <- secret orders-replica[host]
    file /bindings/orders-replica/password <- secret orders-replica[password]
    file /bindings/orders-replica/port <- secret orders-replica[port]
    file /bindings/orders-replica/type <- secret orders-replica[type]
    file /bindings/orders-replica/uri <- secret orders-replica[uri]
    file /bindings/orders-replica/username <- secret orders-replica[username]
    env DATABASE_URL <- secret orders-replica[uri]
"#,
        render: r#"
Deployment shop/orders, container api
  env SERVICE_BINDING_ROOT = "/bindings"
  env DATABASE_URL <- secret orders-replica[uri]
  mount /bindings/orders-replica <- projected: secret orders-replica
  mount /bindings/orders-primary <- projected: secret orders-primary
"#,
    },
    Case {
        dir: "fixtures/checks/env-var-replaced",
        check_exit: 0,
        rules: &[("warning", "EnvVarReplaced")],
        explain: r#"
Deployment shop/orders, container api
  binding shop/orders-db
    file /bindings/orders-db/database <- secret orders-db[database]
    file /bindings/orders-db/host <- secret orders-db[host]
    file /bindings/orders-db/password <- secret orders-db[password]
    file /bindings/orders-db/port <- secret orders-db[port]
    file /bindings/orders-db/type <- secret orders-db[type]
    file /bindings/orders-db/uri <- secret orders-db[uri]
    file /bindings/orders-db/username <- secret orders-db[username]
    env DATABASE_URL <- secret orders-db[uri]
"#,
        render: r#"
Deployment shop/orders, container api
  env LOG_LEVEL = "info"
  env SERVICE_BINDING_ROOT = "/bindings"
  env DATABASE_URL <- secret orders-db[uri]
  mount /bindings/orders-db <- projected: secret orders-db
"#,
    },
    Case {
        dir: "fixtures/checks/env-var-shadowed",
        check_exit: 0,
        rules: &[("warning", "EnvVarShadowed")],
        explain: r#"
Deployment shop/orders, container api
  binding shop/orders-cache
    env SECRET_HOST <- secret orders-cache[host]
    env SECRET_PASSWORD <- secret orders-cache[password]
    env SECRET_TYPE <- secret orders-cache[type]
"#,
        render: r#"
Deployment shop/orders, container api
  env SECRET_HOST = "localhost"
  env SECRET_PASSWORD <- secret orders-cache[password]
  env SECRET_TYPE <- secret orders-cache[type]
"#,
    },
    Case {
        dir: "fixtures/checks/secret-other-namespace-sbo",
        check_exit: 0,
        rules: &[("warning", "SecretValuesCopied")],
        explain: r#"
Deployment shop/orders, container api
  binding shop/orders-mq
    file /bindings/orders-mq/host <- secret orders-mq-cd5d6912[host]
    file /bindings/orders-mq/password <- secret orders-mq-cd5d6912[password]
    file /bindings/orders-mq/type <- secret orders-mq-cd5d6912[type]
    file /bindings/orders-mq/username <- secret orders-mq-cd5d6912[username]
"#,
        render: r#"
Deployment shop/orders, container api
  env SERVICE_BINDING_ROOT = "/bindings"
  mount /bindings/orders-mq <- projected: secret orders-mq-cd5d6912 [host->host, password->password, type->type, username->username]
generated Secret orders-mq-cd5d6912 for shop/orders-mq: keys host, password, type, username
"#,
    },
    Case {
        dir: "fixtures/checks/secret-other-namespace",
        check_exit: 1,
        rules: &[("error", "SecretInOtherNamespace"), ("error", "SecretInOtherNamespace")],
        explain: "",
        render: "",
    },
    Case {
        dir: "fixtures/checks/well-known-entry-format",
        check_exit: 0,
        rules: &[("warning", "WellKnownEntryFormat"), ("warning", "WellKnownEntryFormat"), ("warning", "WellKnownEntryFormat")],
        explain: r#"
Deployment ops/tracker, container tracker
  binding ops/tracker-cache
    file /bindings/tracker-cache/host <- secret tracker-cache[host]
    file /bindings/tracker-cache/port <- secret tracker-cache[port]
    file /bindings/tracker-cache/type <- secret tracker-cache[type]
    file /bindings/tracker-cache/uri <- secret tracker-cache[uri]
"#,
        render: r#"
Deployment ops/tracker, container tracker
  env SERVICE_BINDING_ROOT = "/bindings"
  mount /bindings/tracker-cache <- projected: secret tracker-cache
"#,
    },
    Case { dir: "fixtures/invalid/secret-missing-type", check_exit: 1, rules: &[("error", "MissingType")], explain: "", render: "" },
];

#[test]
fn each_check_reports_its_rule_and_shows_the_container_view() {
    verify(CHECKS);
}

#[test]
fn strict_turns_the_consumer_warnings_into_a_failure() {
    for dir in ["fixtures/checks/consumer-missing-entries", "fixtures/checks/well-known-entry-format", "fixtures/checks/env-var-replaced"] {
        assert_eq!(check_rules(&[dir]).0, 0, "{dir}");
        assert_eq!(check_rules(&["--strict", dir]).0, 1, "{dir}: --strict fails on warnings");
    }
    // Notices never fail, not even with --strict.
    assert_eq!(check_rules(&["--strict", "fixtures/producers/sealed-secret"]).0, 0);
}

#[test]
fn collisions_and_namespaces_name_what_collides() {
    let run = bindery(&["check", "--format", "json", "fixtures/checks/binding-name-collision"], None);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["problems"][0]["message"],
        "bindings shop/orders-primary and shop/orders-replica are all mounted at /bindings/db in container \"api\" of Deployment \
         \"orders\"; give them different names (spec.name)"
    );

    let run = bindery(&["check", "--format", "json", "fixtures/checks/secret-other-namespace"], None);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let messages: Vec<&str> = report["problems"].as_array().unwrap().iter().map(|p| p["message"].as_str().unwrap()).collect();
    assert_eq!(
        messages,
        [
            "the binding Secret \"reporting-smtp\" is in namespace \"platform\" (ExternalSecret \"reporting-smtp\" at \
             fixtures/checks/secret-other-namespace/externalsecret.yaml:3), not in the namespace \"default\" of the binding and its \
             workloads",
            "the binding Secret \"reporting-db-conn\" is written to namespace \"crossplane-system\" by Crossplane \
             (spec.writeConnectionSecretToRef) (convention for XPostgreSQLInstance \"reporting-db\" at \
             fixtures/checks/secret-other-namespace/xr.yaml:3: Secret name {.spec.writeConnectionSecretToRef.name}), not to the \
             binding's namespace \"default\"",
        ]
    );
    assert!(report["problems"].as_array().unwrap().iter().all(|p| p["help"].as_str().unwrap().contains("own namespace")));

    // The Service Binding Operator's API copies the values instead (a warning; an error when copies are denied).
    let run = bindery(&["check", "--format", "json", "--deny-secret-copies", "fixtures/checks/secret-other-namespace-sbo"], None);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("\"rule\": \"SecretValuesCopied\"") && run.stdout.contains("which a pod in \\\"shop\\\" cannot reference"));

    // Found only in another namespace is a mistake even when missing Secrets are allowed.
    let (code, rules) = check_rules(&["--allow-missing-secrets", "fixtures/checks/secret-other-namespace"]);
    assert_eq!((code, rules), (1, vec![("error".to_string(), "SecretInOtherNamespace".to_string()); 2]));

    // Rendered again, the variable is the binding's own: replaced once, reported once.
    let first = bindery(&["render", "--keep-bindings", "fixtures/checks/env-var-replaced"], None);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("EnvVarReplaced"), "{}", first.stderr);
    let again = bindery(&["render", "--keep-bindings", "-"], Some(&first.stdout));
    assert_eq!((again.code, again.stdout.as_str()), (0, first.stdout.as_str()));
    assert!(!again.stderr.contains("EnvVarReplaced"), "{}", again.stderr);

    let run = bindery(&["check", "--format", "json", "fixtures/checks/env-var-replaced"], None);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["problems"][0]["message"],
        "spec.env maps DATABASE_URL, which container \"api\" of Deployment \"orders\" already sets itself: the binding's variable \
         replaces the container's"
    );
}

/// The credentials among the plain Secret values of a fixture (`stringData` passwords and URIs,
/// which are unique: names such as a username may also be a resource's name), to prove none is
/// printed.
fn secret_values(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    for p in common::files_under(&repo().join(dir), &["yaml"]) {
        for d in parse_stream(&std::fs::read_to_string(&p).unwrap()) {
            if d["kind"] == "Secret" && d.get("sops").is_none() {
                out.extend(
                    d["stringData"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| *k == "password" || *k == "uri")
                        .filter_map(|(_, v)| v.as_str().map(str::to_string)),
                );
            }
        }
    }
    out
}

#[test]
fn no_secret_value_is_printed_by_check_explain_or_render_diagnostics() {
    let mut checked = 0;
    for case in CONVENTIONS.iter().chain(PRODUCERS).chain(CHECKS) {
        let values = secret_values(case.dir);
        checked += values.len();
        let outputs = [
            bindery(&["check", case.dir], None).stdout,
            bindery(&["explain", case.dir], None).stdout,
            bindery(&["explain", "--format", "json", case.dir], None).stdout,
            bindery(&["render", case.dir], None).stderr,
        ];
        for v in &values {
            for o in &outputs {
                assert!(!o.contains(v.as_str()), "{}: a Secret value was printed", case.dir);
            }
        }
    }
    assert!(checked >= 10, "the check fixtures hold credentials to look for ({checked})");
}
